"""The tightest interval an attacker can derive for each hidden count: two linear programs
(scipy's HiGHS) per count, over independent components of the model.

Every LP solution is a point the attacker cannot rule out, so the values a variable takes
across the solutions already seen bound its interval from inside: a cell seen at two values
far enough apart is protected without LPs of its own (most cells are)."""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from dataclasses import dataclass

from mognad.quality.disclosure.model import Model


def components(model: Model) -> list[tuple[list[int], list[int]]]:
    """Independent parts of the model: (variable indexes, constraint indexes)."""
    parent = list(range(len(model.vars)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (coeffs, _, _), _, _ in model.constraints:
        idx = list(coeffs)
        for j in idx[1:]:
            a, b = find(idx[0]), find(j)
            if a != b:
                parent[a] = b
    groups: dict = defaultdict(lambda: ([], []))
    for i in range(len(model.vars)):
        groups[find(i)][0].append(i)
    for c, ((coeffs, _, _), _, _) in enumerate(model.constraints):
        groups[find(next(iter(coeffs)))][1].append(c)
    return list(groups.values())


@dataclass
class Interval:
    var: int
    lower: float
    upper: float
    exact: bool = True  # False: an inner bound (two feasible values far enough apart)
    # the constraints that bind at the two optima (non-zero duals): what pins the count
    binding: frozenset = frozenset()


@dataclass
class Bounds:
    """Outer bounds of every variable (``lower`` <= the tightest interval <= ``upper``) and,
    per row, the bounds each constraint implies for each of its variables."""

    lower: object  # numpy arrays over model.vars
    upper: object
    rows: object  # per entry (row, column, implied lower, implied upper)
    cols: object
    implied_lower: object
    implied_upper: object
    _order: object = None
    _starts: object = None

    def narrow(self, var: int, min_cell: int, eps: float = 1e-6) -> bool:
        """Narrower than min_cell by the outer bounds alone (so surely narrow), and not
        proved empty; False when the bounds contradict (the LPs decide that case)."""
        lo, hi = math.ceil(self.lower[var] - eps), self.upper[var]
        if hi == math.inf or lo > hi + eps:
            return False
        hi = math.floor(hi + eps)
        return hi > 0 and hi - lo < min_cell

    def pins(self, var: int, eps: float = 1e-7) -> frozenset:
        """The constraints that imply the variable's bounds (what narrows it)."""
        import numpy as np

        if self._order is None:
            self._order = np.argsort(self.cols, kind="stable")
            self._starts = np.searchsorted(self.cols[self._order], np.arange(len(self.lower) + 1))
        at = self._order[self._starts[var] : self._starts[var + 1]]
        lo, hi = self.lower[var], self.upper[var]
        tight = at[
            (np.isfinite(self.implied_upper[at]) & (self.implied_upper[at] <= hi + eps))
            | ((self.implied_lower[at] > 0) & (self.implied_lower[at] >= lo - eps))
        ]
        return frozenset(int(r) for r in self.rows[tight])


def propagate(model: Model, iterations: int = 30) -> Bounds:
    """Bound propagation over every constraint at once: each constraint bounds each of its
    variables by what the others can at least and at most contribute, repeated until
    nothing tightens (or `iterations`). The bounds hold at any step (they only shrink
    towards the LP's interval, never past it), so a count they already show narrow is
    narrow without its two LPs; the protection uses that, `mognad audit` does not."""
    import numpy as np

    rows, cols, vals, row_lo, row_hi = [], [], [], [], []
    for r, ((coeffs, const, _), kind, _) in enumerate(model.constraints):
        rows += [r] * len(coeffs)
        cols += coeffs.keys()
        vals += coeffs.values()
        row_hi.append(-const)
        row_lo.append(-const if kind == "eq" else -np.inf)
    rows, cols = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    a, row_lo, row_hi = np.array(vals, dtype=float), np.array(row_lo), np.array(row_hi)
    m, pos = len(model.constraints), a > 0
    lower = np.array([v.lower for v in model.vars], dtype=float)
    upper = np.full(len(model.vars), np.inf)
    new_lo = new_hi = np.zeros(0)
    for _ in range(iterations + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            least = np.where(pos, a * lower[cols], a * upper[cols])  # each term's least value
            most = np.where(pos, a * upper[cols], a * lower[cols])
        inf_least, inf_most = ~np.isfinite(least), ~np.isfinite(most)
        sum_least = np.bincount(rows, np.where(inf_least, 0.0, least), m)
        sum_most = np.bincount(rows, np.where(inf_most, 0.0, most), m)
        n_least = np.bincount(rows, inf_least, m)[rows] - inf_least
        n_most = np.bincount(rows, inf_most, m)[rows] - inf_most
        # what the other terms of the row contribute at least / at most
        own_least, own_most = np.where(inf_least, 0, least), np.where(inf_most, 0, most)
        rest_least = np.where(n_least == 0, sum_least[rows] - own_least, -np.inf)
        rest_most = np.where(n_most == 0, sum_most[rows] - own_most, np.inf)
        with np.errstate(invalid="ignore"):
            top, bottom = row_hi[rows] - rest_least, row_lo[rows] - rest_most  # a x in [b, t]
            new_hi = np.nan_to_num(np.where(pos, top / a, bottom / a), nan=np.inf)
            new_lo = np.nan_to_num(np.where(pos, bottom / a, top / a), nan=-np.inf)
        up, lo = upper.copy(), lower.copy()
        np.minimum.at(up, cols, new_hi)
        np.maximum.at(lo, cols, new_lo)
        changed = np.any(up < upper - 1e-7) or np.any(lo > lower + 1e-7)
        upper, lower = up, lo
        if not changed:
            break
    return Bounds(lower, upper, rows, cols, new_lo, new_hi)


_SILENCED = False


def _highs():
    """A quiet HiGHS instance (the first construction in a process prints a banner to the
    C-level stdout, which `mognad audit --json` must not carry)."""
    global _SILENCED
    import highspy

    if not _SILENCED:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _SILENCED = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # small LPs re-solved from the last basis
    # one thread, serial simplex: the same LPs give the same solutions (and duals) every
    # time, which the protection's choices depend on (parallelism is across components)
    h.setOptionValue("threads", 1)
    h.setOptionValue("parallel", "off")
    h.setOptionValue("random_seed", 0)
    return h


def solve_component(
    model: Model, vids, cids, width_needed: float, drop_cross=False, skip=frozenset()
):
    """(intervals of the audited variables, "ok") or (None, reason); `skip`: variables
    not to audit (still constrained), e.g. counts already proved wide.

    One HiGHS model per component; each objective is a change of costs re-solved from the
    previous basis (a few simplex steps), not a new LP."""
    import highspy
    import numpy as np  # here: `mognad --help` need not import numpy and highspy

    status_of = highspy.HighsModelStatus
    KNOWN = {  # noqa: N806
        status_of.kOptimal,
        status_of.kInfeasible,
        status_of.kUnbounded,
        status_of.kUnboundedOrInfeasible,
    }
    inf = highspy.kHighsInf
    n = len(vids)
    local = {v: k for k, v in enumerate(vids)}
    lower_rows, upper_rows, starts, index, value, row_cids = [], [], [], [], [], []
    for c in cids:
        (coeffs, const, _), kind, cross = model.constraints[c]
        if drop_cross and cross:
            continue
        row_cids.append(c)
        starts.append(len(index))
        for v, a in coeffs.items():
            index.append(local[v])
            value.append(a)
        upper_rows.append(-const)
        lower_rows.append(-const if kind == "eq" else -inf)
    h = _highs()
    h.addVars(n, np.array([model.vars[v].lower for v in vids], dtype=float), np.full(n, inf))
    if starts:
        h.addRows(
            len(starts),
            np.array(lower_rows, dtype=float),
            np.array(upper_rows, dtype=float),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value, dtype=float),
        )
    audited = [
        v for v in vids if model.vars[v].audited and model.vars[v].true_value != 0 and v not in skip
    ]
    results = []
    if not audited:
        return results, "ok"
    every = np.arange(n, dtype=np.int32)
    seen_lo = np.full(n, np.inf)
    seen_hi = np.full(n, -np.inf)

    def binding() -> set:
        duals = np.asarray(h.getSolution().row_dual)
        return {row_cids[r] for r in np.flatnonzero(np.abs(duals) > 1e-9)}

    def solve(cost) -> tuple[str, float]:
        h.changeColsCost(n, every, np.asarray(cost, dtype=float))
        h.run()
        st = h.getModelStatus()
        if st not in KNOWN:  # a re-solve from the last basis stalled: solve afresh
            h.clearSolver()
            h.setOptionValue("presolve", "on")
            h.run()
            h.setOptionValue("presolve", "off")
            st = h.getModelStatus()
        if st == status_of.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            np.minimum(seen_lo, x, out=seen_lo)
            np.maximum(seen_hi, x, out=seen_hi)
            return "optimal", h.getInfo().objective_function_value
        if st == status_of.kInfeasible:
            return "infeasible", 0.0
        if st in (status_of.kUnbounded, status_of.kUnboundedOrInfeasible):
            return "unbounded", 0.0
        return f"solver status {st}", 0.0

    seed = np.zeros(n)
    seed[[local[v] for v in audited]] = 1.0
    # Minimising counts (bounded below) tells whether the constraints are feasible; once a
    # minimum was found, "unbounded or infeasible" on a maximisation means unbounded.
    for k, objective in enumerate((seed, -seed)):
        st, _ = solve(objective)
        if st == "infeasible" or (k == 0 and st == "unbounded"):
            return None, "infeasible"
        if st.startswith("solver"):
            return None, st
    for v in audited:
        k = local[v]
        if seen_hi[k] - seen_lo[k] >= width_needed:
            results.append(Interval(v, seen_lo[k], seen_hi[k], exact=False))
            continue
        objective = np.zeros(n)
        ends = []
        short = False
        pins: set = set()
        for sign in (1.0, -1.0):
            objective[k] = sign
            st, fun = solve(objective)
            if st == "unbounded" and sign == -1.0:  # unbounded upwards
                ends.append(math.inf)
            elif st != "optimal":
                return None, st
            else:
                ends.append(sign * fun)  # min x, then max x = -min(-x)
                pins |= binding()
            if sign == 1.0 and seen_hi[k] - ends[0] >= width_needed:
                ends.append(seen_hi[k])  # wide enough already: the exact maximum is not needed
                short = True
                break
        results.append(Interval(v, ends[0], ends[1], exact=not short, binding=frozenset(pins)))
    return results, "ok"
