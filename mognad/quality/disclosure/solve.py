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
