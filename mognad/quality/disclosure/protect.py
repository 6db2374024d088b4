"""Joint secondary suppression: hide further cells across every linked mart until no hidden
count can be derived from the shown numbers (docs/metod.md, "Gemensamt röjandeskydd").

The marts hide their primary cells (fewer than MOGNAD_MIN_CELL persons) and a first set of
secondary cells line by line (dbt macro `secondary_suppression`). What the lines reveal
together — margins of two-way tables, a course against all courses, row existence, the
identities between marts — only the whole model sees (`model`). So the build runs this step
between dbt and publish, on the build file:

1. model every shown number as constraints over the hidden cells and solve each
   independent component (`solve`, the same LPs as `mognad audit`);
2. for each hidden count whose interval is narrower than MOGNAD_MIN_CELL, hide one more
   shown cell of a constraint it is in (or of its neighbours', its own mart first):
   preferably a cell that is not a total and leaves the pair room (together at least
   MOGNAD_MIN_CELL + 2 persons), the smallest such (fewest persons hidden); else the
   largest one there is;
3. write the hidden cells into the marts (counts and percentages NULL, ``suppressed``
   true) and repeat from 1 for the components
   that changed, until every component passes.

Deterministic (the same marts give the same hidden cells) and monotone (a cell is only ever
hidden, never shown again), so it ends: at worst a component is hidden whole, and a hidden
total with hidden parts pins nothing. The derived marts (county averages, change since the
0-mätning, category profile) are views over the protected marts, so they follow.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from mognad.quality.disclosure.audit import check_many
from mognad.quality.disclosure.model import Model, build_model_from, read_true_values_from
from mognad.quality.disclosure.solve import components

MAX_ROUNDS = 60
TRACE = bool(os.environ.get("MOGNAD_PROTECT_TRACE"))  # print each hidden cell and why


class ProtectError(RuntimeError):
    """The protection could not make every component pass: nothing may be published."""


@dataclass
class ProtectResult:
    rounds: int = 0
    hidden_before: int = 0  # hidden person counts after dbt (primary + line-wise secondary)
    hidden_after: int = 0
    shown_after: int = 0
    added: Counter = field(default_factory=Counter)  # mart rows hidden by this step, per table
    seconds: float = 0.0

    def summary(self) -> str:
        per = ", ".join(f"{t} {n}" for t, n in sorted(self.added.items())) or "inga / none"
        return (
            f"gemensamt röjandeskydd / joint disclosure control: {self.rounds} varv/rounds, "
            f"dolda antal / hidden counts {self.hidden_before} -> {self.hidden_after} "
            f"(visade / shown {self.shown_after}); nya dolda rader / rows newly hidden: {per} "
            f"({self.seconds:.1f} s)"
        )


# Where a cell's key holds the dimensions that partition its persons (an 'alla' there is a
# total); the other key parts (a maturity cell's dimension and category) share the persons.
_PARTITION = {
    "mat": slice(3, 5),
    "fct_training_coverage": slice(2, 4),
    "fct_training_completions": slice(2, 5),
    "rr": slice(2, 3),
    "plan": slice(2, 3),
}


def _alla(name: tuple) -> int:
    return sum(1 for k in name[1][_PARTITION.get(name[0], slice(None))] if k == "alla")


def _population(name: tuple) -> tuple:
    """The unit that is hidden together: a maturity cell's whole population (every
    dimension and category: they share their respondents, and hiding one category at a
    time takes many more rounds and hides more in the end), else the mart row (the plan's
    in-order share alone)."""
    kind, key, _ = name
    if kind == "mat":
        return ("mat", key[:5])
    if kind == "plan":
        return ("plan", key, "o" if name[2] == "o" else "row")
    return (kind, key)


def _choose(model: Model, cids, narrow: list[tuple], min_cell: int) -> set:
    """One shown cell to hide per narrow hidden count ((variable, its lower bound, the
    constraints that pin it)), as `_population` units."""
    by_var = defaultdict(list)
    for c in cids:
        for v in model.constraints[c][0][0]:
            by_var[v].append(c)

    def near(v) -> set:
        """The shown cells of the constraints nearest to v: its own, else its neighbours'
        (a count bounded only by other hidden counts is narrow because they are); within
        its own mart first, the identities between marts only when that finds none."""
        for use_cross in (False, True):
            seen, frontier = {v}, [v]
            for _ in range(4):
                found, nxt = set(), []
                for u in frontier:
                    for c in by_var[u]:
                        (coeffs, _, shown), _, cross = model.constraints[c]
                        if cross and not use_cross:
                            continue
                        found.update(shown)
                        nxt += [w for w in coeffs if w not in seen]
                if found:
                    return found
                seen.update(nxt)
                frontier = list(dict.fromkeys(nxt))
        return set()

    picks: set = set()
    for v, lower, pins in narrow:
        # the shown cells of the constraints that pin it (non-zero duals at its optima)
        candidates = set().union(*(model.constraints[c][0][2] for c in pins)) if pins else set()
        candidates = candidates or near(v)
        if not candidates:
            continue
        units = {_population(n) for n in candidates}
        if units & picks:
            continue  # this round already opens one of its constraints
        # the hidden pair's interval is about as wide as the two counts together: a partner
        # of at least min_cell + 2 - lower (the integer interval's rounding) leaves room.
        # A total is hidden only when no part is left: a hidden total opens every line it
        # is a total of, in every mart that shares it.
        need = max(1.0, min_cell + 2 - lower)
        parts = [n for n in candidates if not _alla(n)] or list(candidates)
        room = [n for n in parts if model.shown[n] >= need]
        if room:
            best = min(room, key=lambda n: (_alla(n), model.shown[n], repr(n)))
        else:
            best = max(parts, key=lambda n: (-_alla(n), model.shown[n], repr(n)))
        picks.add(_population(best))
        if TRACE:
            var = model.vars[v]
            print(f"protect: {var.table} {var.key} {var.column} -> hide {best}", flush=True)
    return picks


def _hide(con, picks: set) -> Counter:
    """Write the picked units into the marts; returns rows hidden per table."""
    added: Counter = Counter()

    def update(table: str, sets: str, keycols: list[str], keys: list[tuple]) -> None:
        if not keys:
            return
        cols = ", ".join(f"k{i} varchar" for i in range(len(keycols)))
        con.execute(f"create or replace temp table _hide ({cols})")
        con.executemany(
            f"insert into _hide values ({', '.join('?' * len(keycols))})",
            [tuple(str(x) for x in k) for k in keys],
        )
        match = " and ".join(f"t.{c}::varchar = h.k{i}" for i, c in enumerate(keycols))
        n = con.execute(
            f"update marts.{table} as t set {sets} from _hide as h "
            f"where {match} and not t.suppressed"
        ).fetchone()[0]
        added[table] += n

    groups = defaultdict(list)
    for unit in picks:
        groups[unit[0] if unit[0] != "plan" else ("plan", unit[2])].append(unit)
    mat = [u[1] for u in groups["mat"]]
    hide_mat = "respondents = null, score_pct = null, suppressed = true"
    base = ["municipality_code", "wave", "instrument", "target_group"]
    update("fct_maturity_gender", hide_mat, [*base, "gender"], mat)
    update("fct_maturity", hide_mat, base, [k[:4] for k in mat if k[4] == "alla"])
    update(
        "fct_training_coverage",
        "headcount = null, trained_persons = null, coverage_pct = null, suppressed = true",
        ["municipality_code", "period", "target_group", "gender"],
        [u[1] for u in groups["fct_training_coverage"]],
    )
    update(
        "fct_training_completions",
        "persons_completed = null, suppressed = true",
        ["municipality_code", "period", "course_code", "target_group", "gender"],
        [u[1] for u in groups["fct_training_completions"]],
    )
    update(
        "fct_response_rate",
        "headcount = null, respondents = null, response_rate_pct = null, suppressed = true",
        ["municipality_code", "wave", "target_group"],
        [u[1] for u in groups["rr"]],
    )
    rows = [u[1] for u in groups[("plan", "row")]]
    counts = "headcount = null, completed_persons = null, coverage_pct = null"
    update(
        "fct_training_plan",
        f"{counts}, status = null, in_order_pct = null,"
        " in_order_suppressed = after_step is not null, suppressed = true",
        ["municipality_code", "step"],
        [k[:2] for k in rows if k[2] == "alla"],
    )
    update(
        "fct_training_plan_gender",
        f"{counts}, suppressed = true",
        ["municipality_code", "step", "gender"],
        [k for k in rows if k[2] != "alla"],
    )
    in_order = [u[1][:2] for u in groups[("plan", "o")]]
    if in_order:  # the in-order share alone (the row stays shown)
        con.execute(
            "create or replace temp table _hide (k0 varchar, k1 varchar)",
        )
        con.executemany("insert into _hide values (?, ?)", in_order)
        n = con.execute(
            "update marts.fct_training_plan as t set in_order_pct = null, "
            "in_order_suppressed = true from _hide as h "
            "where t.municipality_code = h.k0 and t.step = h.k1 and not t.in_order_suppressed"
        ).fetchone()[0]
        added["fct_training_plan"] += n
    con.execute("drop table if exists _hide")
    return added


def protect(con, min_cell: int, progress=None) -> ProtectResult:
    """Protect the marts of an open, writable build-file connection in place."""
    started = time.monotonic()
    result = ProtectResult()
    passed: set = set()  # the variable names of components that passed
    # Counts proved wide enough stay so: hiding a cell only relaxes the constraints (a shown
    # constant becomes a variable that may still take its value), so every interval can
    # only widen from round to round. Later rounds audit only what was narrow, or is new.
    proven: set = set()
    for rounds in range(MAX_ROUNDS + 1):
        model, _ = build_model_from(con)
        read_true_values_from(model, con)
        hidden = sum(1 for v in model.vars if v.audited)
        if rounds == 0:
            result.hidden_before = hidden
        result.hidden_after = hidden
        result.shown_after = len(model.shown)
        picks: set = set()
        failing = 0
        todo = []
        for vids, cids in components(model):
            signature = frozenset(model.vars[v].name for v in vids)
            if signature in passed:
                continue
            skip = frozenset(v for v in vids if model.vars[v].name in proven)
            todo.append((vids, cids, skip, signature))
        verdicts = check_many(model, [(v, c, k) for v, c, k, _ in todo], min_cell)
        for (_vids, cids, _, signature), verdict in zip(todo, verdicts, strict=True):
            proven.update(model.vars[v].name for v in verdict.wide_vars)
            if verdict.failed:
                raise ProtectError(
                    f"röjandeskyddet kunde inte lösas / the protection could not be solved: "
                    f"{verdict.failed}"
                )
            if not verdict.narrow:
                passed.add(signature)
                continue
            failing += 1
            chosen = _choose(
                model,
                cids,
                [
                    (v, d["lower"], pins)
                    for v, d, pins in zip(
                        verdict.narrow_vars, verdict.narrow, verdict.narrow_binding, strict=True
                    )
                ],
                min_cell,
            )
            if not chosen:
                first = verdict.narrow[0]
                raise ProtectError(
                    "inget visat värde kvar att dölja / no shown cell left to hide for "
                    f"{first['table']} {'/'.join(first['key'])} {first['column']} "
                    f"[{first['lower']}, {first['upper']}]"
                )
            picks |= chosen
        result.rounds = rounds
        if not picks:
            result.seconds = time.monotonic() - started
            return result
        if progress:
            progress(
                f"  varv / round {rounds + 1}: {failing} delar att skydda / components to "
                f"protect, {len(picks)} celler till döljs / more cells hidden"
            )
        result.added += _hide(con, picks)
    raise ProtectError(
        f"röjandeskyddet blev inte klart på {MAX_ROUNDS} varv / the protection did not finish "
        f"in {MAX_ROUNDS} rounds"
    )


def protect_build(settings, progress=None) -> ProtectResult:
    """The build step: protect the marts in the build file (between dbt and validation)."""
    import duckdb

    con = duckdb.connect(str(settings.build_db))
    try:
        result = protect(con, settings.min_cell, progress=progress)
        con.execute("checkpoint")
    finally:
        con.close()
    return result
