"""`mognad audit [FILE]`: can an attacker who reads only the published numbers derive a hidden
count? (docs/metod.md, "Granskning av röjandeskyddet / the disclosure audit")

Every shown number of the person-count marts becomes a linear constraint over the hidden
cells (the attacker's knowledge), and for each hidden count two linear programs (scipy's
HiGHS) give the tightest interval [L, U] the attacker can derive:

- margins: the ``alla`` row of target group and of gender is the sum of its children (every
  person is in exactly one target group and one gender); maturity: also the sums that a mean
  and its count imply (score_pct x respondents; a hidden part's sum lies in [0, 100 x n]);
- a category's respondents are at most its dimension's, a dimension's at most the
  instrument's (a respondent with a score in a category has one in its dimension);
- percentages with their denominators: 100 x count = pct x denominator;
- counts within counts: trained <= headcount, completed <= headcount, in order <= completed;
  a course's completers <= all-courses completers <= the sum over the courses;
- row existence: coverage, completions and per-gender plan rows exist only when someone is
  in them, so a present hidden row holds at least 1 and an absent row holds 0;
- between marts: the response rate's respondents are the sum of the instruments'
  respondents, and its headcount is December's training-coverage headcount (the same HR
  snapshot). These are checked against the shown numbers: a component where they
  contradict what is shown is solved without them (and reported).

Rule (the protection interval of tau-Argus): a hidden count passes when its integer interval
is at least ``min_cell`` wide, U - L >= min_cell, so it is neither pinned nor proved small.
A hidden cell the attacker can prove empty (U = 0) discloses no person and is not counted;
so are cells whose true value (read from the build file where the marts keep it) is 0.

Self-contained on purpose: it imports only mognad.config.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from mognad.config import Settings

SCHEMA = "marts"
TARGET_GROUPS = ("förtroendevald", "chef", "medarbetare")
GENDERS = ("kvinna", "man", "annat", "ej angivet")
MAX_SCORE = 100.0
EPS = 1e-6

# A linear expression: ({variable index: coefficient}, constant)
Expr = tuple[dict, float]


@dataclass
class Var:
    table: str
    key: tuple
    column: str
    lower: float = 0.0
    audited: bool = True  # a person count (False: an implied sum such as score x n)
    true_value: float | None = None


@dataclass
class Model:
    vars: list[Var] = field(default_factory=list)
    names: dict = field(default_factory=dict)  # name -> index
    shown: dict = field(default_factory=dict)  # name -> value
    # (expr, kind, cross) kind "eq": expr = 0, "le": expr <= 0; cross: a between-marts identity
    constraints: list = field(default_factory=list)

    def var(self, name, table, key, column, audited=True) -> int:
        if name not in self.names:
            self.names[name] = len(self.vars)
            self.vars.append(Var(table, key, column, audited=audited))
        return self.names[name]

    def cell(self, name, value, table, key, column, audited=True) -> Expr:
        """A count cell: shown (a constant) or hidden (a variable). A cell shown in any table
        is known, whichever table hides it."""
        if value is not None and not _isnan(value):
            self.shown[name] = float(value)
        if name in self.shown:
            return ({}, self.shown[name])
        return ({self.var(name, table, key, column, audited): 1.0}, 0.0)

    def get(self, name) -> Expr | None:
        if name in self.shown:
            return ({}, self.shown[name])
        if name in self.names:
            return ({self.names[name]: 1.0}, 0.0)
        return None

    def add(self, expr: Expr, kind="eq", cross=False) -> None:
        coeffs, const = expr
        if not coeffs:
            return  # only shown numbers: nothing to learn
        self.constraints.append((expr, kind, cross))


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def lin(*terms) -> Expr:
    """Sum of (coefficient, expr) pairs."""
    coeffs: dict = defaultdict(float)
    const = 0.0
    for c, (e, k) in terms:
        for i, a in e.items():
            coeffs[i] += c * a
        const += c * k
    return ({i: a for i, a in coeffs.items() if a != 0.0}, const)


def margin(model: Model, total: Expr | None, parts: list[Expr | None], kind="eq", cross=False):
    """total = sum(parts) (kind eq), skipped when a term is not applicable (None)."""
    if total is None or any(p is None for p in parts):
        return
    model.add(lin((1.0, total), *((-1.0, p) for p in parts)), kind, cross)


def _rows(con, table: str) -> list[dict] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchone()[0]
    if not exists:
        return None
    cur = con.execute(f'select * from {SCHEMA}."{table}"')
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _vals(value):
    return None if value is None else float(value)


# --- the marts as constraints -------------------------------------------------------------


def _maturity(model: Model, con, audited: list[str]) -> None:
    rows = _rows(con, "fct_maturity_gender") or []
    extra = _rows(con, "fct_maturity") or []
    profile = _rows(con, "fct_category_profile") or []
    if not rows and not extra:
        return
    audited.append("fct_maturity_gender")
    if extra:
        audited.append("fct_maturity")
    if profile:
        audited.append("fct_category_profile")
    cells = {}
    score = {}
    for table, rs in (("fct_maturity_gender", rows), ("fct_maturity", extra)):
        for r in rs:
            g = r.get("gender", "alla")
            key = (
                r["municipality_code"],
                r["wave"],
                r["instrument"],
                r["target_group"],
                g,
                r["dimension"],
                r["category"],
            )
            cells[key] = model.cell(
                ("mat", key, "n"), _vals(r["respondents"]), table, key, "respondents"
            )
            if r["score_pct"] is not None:
                score[key] = float(r["score_pct"])
    for r in profile:  # the same cells (target group alla, gender alla): a shown score counts
        key = (
            r["municipality_code"],
            r["wave"],
            r["instrument"],
            "alla",
            "alla",
            r["dimension"],
            r["category"],
        )
        if r["score_pct"] is not None and key not in score:
            score[key] = float(r["score_pct"])
    # the sum S = score x n of each cell
    sums = {}
    for key, n in cells.items():
        name = ("mat", key, "s")
        if key in score:
            sums[key] = lin((score[key], n))
        else:
            s = ({model.var(name, "fct_maturity_gender", key, "score_sum", False): 1.0}, 0.0)
            model.add(lin((1.0, s), (-MAX_SCORE, n)), "le")  # S <= 100 n (S >= 0: bounds)
            sums[key] = s
    for key in cells:
        m, w, i, tg, g, d, c = key
        for store in (cells, sums):
            if tg == "alla":
                margin(model, store[key], [store.get((m, w, i, t, g, d, c)) for t in TARGET_GROUPS])
            if g == "alla":
                margin(model, store[key], [store.get((m, w, i, tg, x, d, c)) for x in GENDERS])
        # a category's respondents <= its dimension's <= the instrument's
        if c != "alla":
            _le(model, cells[key], cells.get((m, w, i, tg, g, d, "alla")))
        elif d != "alla":
            _le(model, cells[key], cells.get((m, w, i, tg, g, "alla", "alla")))


def _le(model: Model, small: Expr | None, big: Expr | None, cross=False) -> None:
    """small <= big."""
    if small is None or big is None:
        return
    model.add(lin((1.0, small), (-1.0, big)), "le", cross)


def _pct(model: Model, pct, count: Expr | None, denominator: Expr | None) -> None:
    """A shown percentage with its denominator: 100 x count = pct x denominator."""
    if pct is None or _isnan(pct) or count is None or denominator is None:
        return
    model.add(lin((100.0, count), (-float(pct), denominator)))


def _two_way(model, store: dict, prefix: tuple, tgs, genders, kind="eq"):
    """Target group and gender margins of one table block."""
    for g in (*genders, "alla"):
        margin(
            model, store.get((*prefix, "alla", g)), [store.get((*prefix, t, g)) for t in tgs], kind
        )
    for t in (*tgs, "alla"):
        margin(
            model,
            store.get((*prefix, t, "alla")),
            [store.get((*prefix, t, x)) for x in genders],
            kind,
        )


def _sparse_grid(model, rows, table, keycols, count_cols, exists_min=1):
    """Tables whose rows exist only when someone is in them: a present hidden row holds at
    least `exists_min` in its first count column; an absent row of a present block is 0."""
    stores = {c: {} for c in count_cols}
    for r in rows:
        key = tuple(r[k] for k in keycols)
        for c in count_cols:
            e = model.cell((table, key, c), _vals(r[c]), table, key, c)
            stores[c][key] = e
        first = stores[count_cols[0]][key]
        if first[0]:
            model.vars[next(iter(first[0]))].lower = max(
                model.vars[next(iter(first[0]))].lower, exists_min
            )
    return stores


def _fill(store: dict, prefixes: set, tgs, genders) -> None:
    """Absent cells of a present block are known zeros."""
    for p in prefixes:
        for t in (*tgs, "alla"):
            for g in (*genders, "alla"):
                store.setdefault((*p, t, g), ({}, 0.0))


def _coverage(model: Model, con, audited: list[str]) -> dict:
    rows = _rows(con, "fct_training_coverage")
    if not rows:
        return {}
    audited.append("fct_training_coverage")
    keycols = ("municipality_code", "period", "target_group", "gender")
    st = _sparse_grid(
        model, rows, "fct_training_coverage", keycols, ("headcount", "trained_persons")
    )
    tgs = sorted({r["target_group"] for r in rows} - {"alla"})
    gs = sorted({r["gender"] for r in rows} - {"alla"})
    prefixes = {(r["municipality_code"], r["period"]) for r in rows}
    for s in st.values():
        _fill(s, prefixes, tgs, gs)
    for p in prefixes:
        for s in st.values():
            _two_way(model, s, p, tgs, gs)
    for r in rows:
        key = tuple(r[k] for k in keycols)
        h, t = st["headcount"][key], st["trained_persons"][key]
        _le(model, t, h)
        _pct(model, r["coverage_pct"], t, h)
    return st["headcount"]


def _response_rate(model: Model, con, audited: list[str], coverage_headcount: dict) -> None:
    rows = _rows(con, "fct_response_rate")
    if not rows:
        return
    audited.append("fct_response_rate")
    hc, resp = {}, {}
    for r in rows:
        key = (r["municipality_code"], r["wave"], r["target_group"])
        resp[key] = model.cell(
            ("rr", key, "r"), _vals(r["respondents"]), "fct_response_rate", key, "respondents"
        )
        if r["suppressed"] or r["headcount"] is not None:  # NULL unsuppressed: no HR snapshot
            hc[key] = model.cell(
                ("rr", key, "h"), _vals(r["headcount"]), "fct_response_rate", key, "headcount"
            )
        _pct(model, r["response_rate_pct"], resp[key], hc.get(key))
    instruments = defaultdict(set)
    for name in model.names.keys() | model.shown.keys():
        if name[0] == "mat":
            instruments[name[1][:2]].add(name[1][2])
    for (m, w, tg), e in list(resp.items()):
        if tg == "alla":
            margin(model, e, [resp.get((m, w, t)) for t in TARGET_GROUPS])
            margin(model, hc.get((m, w, tg)), [hc.get((m, w, t)) for t in TARGET_GROUPS])
        # between marts: respondents = the instruments' respondents (each respondent answers
        # one instrument and has a score in its total cell)
        parts = [
            model.get(("mat", (m, w, i, tg, "alla", "alla", "alla"), "n"))
            for i in sorted(instruments.get((m, w), ()))
        ]
        if parts:
            margin(model, e, parts, cross=True)
        # between marts: the same HR snapshot (the latest on or before 31 December)
        if (m, w, tg) in hc:
            december = coverage_headcount.get((m, f"{w}-12", tg, "alla"))
            margin(model, hc[(m, w, tg)], [december], cross=True)


def _completions(model: Model, con, audited: list[str]) -> None:
    rows = _rows(con, "fct_training_completions")
    if not rows:
        return
    audited.append("fct_training_completions")
    keycols = ("municipality_code", "period", "course_code", "target_group", "gender")
    st = _sparse_grid(model, rows, "fct_training_completions", keycols, ("persons_completed",))[
        "persons_completed"
    ]
    tgs = sorted({r["target_group"] for r in rows} - {"alla"})
    gs = sorted({r["gender"] for r in rows} - {"alla"})
    prefixes = {(r["municipality_code"], r["period"], r["course_code"]) for r in rows}
    _fill(st, prefixes, tgs, gs)
    courses = defaultdict(set)
    for m, p, c in prefixes:
        _two_way(model, st, (m, p, c), tgs, gs)
        if c != "alla":
            courses[(m, p)].add(c)
    # a person counts once under 'alla' however many courses: each course <= alla <= sum
    for (m, p), cs in courses.items():
        if (m, p, "alla") not in prefixes:
            continue
        for t in (*tgs, "alla"):
            for g in (*gs, "alla"):
                total = st[(m, p, "alla", t, g)]
                parts = [st[(m, p, c, t, g)] for c in sorted(cs)]
                for part in parts:
                    _le(model, part, total)
                model.add(lin((1.0, total), *((-1.0, x) for x in parts)), "le")


def _plan(model: Model, con, audited: list[str]) -> None:
    gender_rows = _rows(con, "fct_training_plan_gender") or []
    rows = _rows(con, "fct_training_plan") or []
    if not rows and not gender_rows:
        return
    audited += [
        t
        for t, rs in (("fct_training_plan", rows), ("fct_training_plan_gender", gender_rows))
        if rs
    ]
    hc, done = {}, {}
    for table, rs in (("fct_training_plan_gender", gender_rows), ("fct_training_plan", rows)):
        for r in rs:
            key = (r["municipality_code"], r["step"], r.get("gender", "alla"))
            hc[key] = model.cell(("plan", key, "h"), _vals(r["headcount"]), table, key, "headcount")
            done[key] = model.cell(
                ("plan", key, "c"), _vals(r["completed_persons"]), table, key, "completed_persons"
            )
            if key[2] != "alla" and hc[key][0]:  # a gender row exists only when someone is in it
                model.vars[next(iter(hc[key][0]))].lower = 1.0
            _le(model, done[key], hc[key])
            _pct(model, r["coverage_pct"], done[key], hc[key])
            if table == "fct_training_plan" and (
                r["in_order_suppressed"] or r["in_order_pct"] is not None
            ):
                pct = r["in_order_pct"]
                if pct is not None and not done[key][0]:
                    continue  # shown outright: pct x completed / 100
                io = model.cell(("plan", key, "o"), None, table, key, "in_order_persons")
                _le(model, io, done[key])
                _pct(model, pct, io, done[key])
    steps = {(m, s) for m, s, _ in hc}
    for m, s in steps:
        for store in (hc, done):
            parts = [store.get((m, s, g), ({}, 0.0)) for g in GENDERS]  # absent: nobody
            if any((m, s, g) in store for g in GENDERS):  # the gender mart is published
                margin(model, store.get((m, s, "alla")), parts)


# --- solving ------------------------------------------------------------------------------


def build_model(path: Path) -> tuple[Model, list[str]]:
    model = Model()
    audited: list[str] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        _maturity(model, con, audited)
        cov = _coverage(model, con, audited)
        _response_rate(model, con, audited, cov)
        _completions(model, con, audited)
        _plan(model, con, audited)
    finally:
        con.close()
    return model, audited


def read_true_values(model: Model, build_db: Path) -> int:
    """The unsuppressed counts where the build file keeps them (the maturity cells, the plan's
    step cells): only to tell hidden zeros from hidden non-zero counts in the report."""
    if not build_db.exists():
        return 0
    found = 0
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        sources = [
            (
                "select municipality_code, wave, instrument, target_group, gender, dimension,"
                " category, respondents_unsuppressed from intermediate.int_maturity__cells",
                lambda r: [(("mat", tuple(r[:7]), "n"), r[7])],
            ),
            (
                "select municipality_code, step, gender, headcount, completed_persons,"
                " in_order_persons from intermediate.int_plan__step_cells",
                lambda r: [
                    (("plan", tuple(r[:3]), "h"), r[3]),
                    (("plan", tuple(r[:3]), "c"), r[4]),
                    (("plan", tuple(r[:3]), "o"), r[5]),
                ],
            ),
        ]
        for sql, pairs in sources:
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error:
                continue
            for r in rows:
                for name, value in pairs(r):
                    i = model.names.get(name)
                    if i is not None and value is not None:
                        model.vars[i].true_value = float(value)
                        found += 1
    finally:
        con.close()
    return found


def components(model: Model) -> list[tuple[list[int], list[int]]]:
    """Independent parts of the model: (variable indexes, constraint indexes)."""
    parent = list(range(len(model.vars)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (coeffs, _), _, _ in model.constraints:
        idx = list(coeffs)
        for j in idx[1:]:
            a, b = find(idx[0]), find(j)
            if a != b:
                parent[a] = b
    groups: dict = defaultdict(lambda: ([], []))
    for i in range(len(model.vars)):
        groups[find(i)][0].append(i)
    for c, ((coeffs, _), _, _) in enumerate(model.constraints):
        groups[find(next(iter(coeffs)))][1].append(c)
    return list(groups.values())


@dataclass
class Interval:
    var: int
    lower: float
    upper: float
    exact: bool = True  # False: an inner bound (two feasible values far enough apart)


def _solve_component(model: Model, vids, cids, width_needed: float, drop_cross=False):
    import numpy as np  # here: `mognad --help` need not import numpy and scipy
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    local = {v: k for k, v in enumerate(vids)}
    eq_rows, le_rows = [], []
    for c in cids:
        expr, kind, cross = model.constraints[c]
        if drop_cross and cross:
            continue
        (eq_rows if kind == "eq" else le_rows).append(expr)

    def matrix(exprs):
        if not exprs:
            return None, None
        data, ri, ci, rhs = [], [], [], []
        for r, (coeffs, const) in enumerate(exprs):
            for v, a in coeffs.items():
                data.append(a)
                ri.append(r)
                ci.append(local[v])
            rhs.append(-const)
        return csr_matrix((data, (ri, ci)), shape=(len(exprs), len(vids))), np.array(rhs)

    a_eq, b_eq = matrix(eq_rows)
    a_ub, b_ub = matrix(le_rows)
    bounds = [(model.vars[v].lower, None) for v in vids]
    audited = [v for v in vids if model.vars[v].audited and model.vars[v].true_value != 0]
    results = []
    if not audited:
        return results, "ok"
    # Every solution is a point the attacker cannot rule out, so the values a variable takes
    # across the solutions already seen bound its interval from inside: a cell seen at two
    # values at least min_cell apart is protected without LPs of its own (most cells are).
    seen_lo = np.full(len(vids), np.inf)
    seen_hi = np.full(len(vids), -np.inf)

    def solve(objective):
        res = linprog(
            objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
        )
        if res.status == 0:
            np.minimum(seen_lo, res.x, out=seen_lo)
            np.maximum(seen_hi, res.x, out=seen_hi)
        return res

    seed = np.zeros(len(vids))
    seed[[local[v] for v in audited]] = 1.0
    # Minimising counts (bounded below by 0) tells whether the constraints are feasible;
    # a maximum may be unbounded, which HiGHS can also report as "infeasible or unbounded"
    # (status 2): once a minimum was found, a maximisation's status 2 means unbounded.
    for sign in (1.0, -1.0):
        res = solve(sign * seed)
        if sign == 1.0 and res.status == 2:
            return None, "infeasible"
        if res.status not in (0, 2, 3):
            return None, f"solver status {res.status}: {res.message}"
    for v in audited:
        k = local[v]
        if seen_hi[k] - seen_lo[k] >= width_needed:
            results.append(Interval(v, seen_lo[k], seen_hi[k], exact=False))
            continue
        objective = np.zeros(len(vids))
        objective[k] = 1.0
        ends = []
        short = False
        for sign in (1.0, -1.0):
            res = solve(sign * objective)
            if res.status == 3 or (res.status == 2 and sign == -1.0):  # unbounded upwards
                ends.append(math.inf)
            elif res.status == 2:
                return None, "infeasible"
            elif res.status != 0:
                return None, f"solver status {res.status}: {res.message}"
            else:
                ends.append(sign * res.fun)  # min x, then max x = -min(-x)
            if sign == 1.0 and seen_hi[k] - ends[0] >= width_needed:
                ends.append(seen_hi[k])  # wide enough already: the exact maximum is not needed
                short = True
                break
        results.append(Interval(v, ends[0], ends[1], exact=not short))
    return results, "ok"


@dataclass
class AuditResult:
    path: str
    min_cell: int
    tables: list[str]
    hidden: int  # hidden person counts (every audited variable)
    audited: int  # of them, not known to be zero
    pinned: list  # hidden non-zero counts the attacker pins exactly
    narrow: list  # intervals narrower than min_cell (pinned included)
    known_zero: int  # proved empty by the constraints (discloses nobody)
    dropped_cross: int  # components solved without the between-marts identities
    failed_components: list
    seconds: float
    intervals: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.narrow and not self.failed_components

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "intervals"}
        d["passed"] = self.passed
        return d


def _describe(model: Model, iv: Interval, lo: int, hi: int) -> dict:
    v = model.vars[iv.var]
    return {
        "table": v.table,
        "key": [str(k) for k in v.key],
        "column": v.column,
        "lower": lo,
        "upper": None if hi == math.inf else hi,
        "width": None if hi == math.inf else hi - lo,
        "true_value": v.true_value,
        "exact": iv.exact,
    }


def audit(path: Path, min_cell: int, build_db: Path | None = None, progress=None) -> AuditResult:
    started = time.monotonic()
    model, tables = build_model(path)
    if build_db is not None:
        read_true_values(model, build_db)
    parts = components(model)
    hidden = sum(1 for v in model.vars if v.audited)
    pinned, narrow, failed, intervals = [], [], [], []
    known_zero = dropped = 0
    last = time.monotonic()
    for k, (vids, cids) in enumerate(parts, 1):
        # + 2: the integer interval (L rounded up, U down) must still be min_cell wide
        results, status = _solve_component(model, vids, cids, min_cell + 2)
        if results is None:
            # a between-marts identity may not hold in this build: solve without them
            results, status = _solve_component(model, vids, cids, min_cell + 2, drop_cross=True)
            dropped += 1
        if results is None:
            v = model.vars[vids[0]]
            failed.append({"table": v.table, "key": [str(x) for x in v.key], "status": status})
            continue
        for iv in results:
            lo = math.ceil(iv.lower - EPS)
            hi = iv.upper if iv.upper == math.inf else math.floor(iv.upper + EPS)
            if hi != math.inf and hi <= 0:
                known_zero += 1
                continue
            d = _describe(model, iv, lo, hi)
            intervals.append(d)
            if hi != math.inf and hi - lo < min_cell:
                narrow.append(d)
                if hi == lo:
                    pinned.append(d)
        if progress and time.monotonic() - last > 5:
            last = time.monotonic()
            progress(f"  {k}/{len(parts)} delar / components")
    narrow.sort(key=lambda d: (d["width"], d["table"], d["key"]))
    audited = sum(1 for v in model.vars if v.audited and v.true_value != 0)
    return AuditResult(
        str(path),
        min_cell,
        tables,
        hidden,
        audited,
        pinned,
        narrow,
        known_zero,
        dropped,
        failed,
        time.monotonic() - started,
        intervals,
    )


def report(result: AuditResult, examples: int = 10) -> str:
    lines = [
        f"Granskning av röjandeskyddet / disclosure audit: {result.path}",
        f"  tabeller / tables: {', '.join(result.tables) or '-'}",
        f"  dolda antal / hidden counts: {result.hidden} "
        f"(granskade, ej kända nollor / audited, not known zeros: {result.audited}; "
        f"bevisat tomma / proved empty: {result.known_zero})",
        f"  exakt framräknade / pinned exactly: {len(result.pinned)}",
        f"  intervall smalare än / interval narrower than {result.min_cell}: {len(result.narrow)}",
    ]
    if result.dropped_cross:
        lines.append(
            f"  delar lösta utan samband mellan marter / components solved without the "
            f"between-marts identities: {result.dropped_cross}"
        )
    for f in result.failed_components:
        lines.append(f"  FEL / ERROR {f['table']} {'/'.join(f['key'])}: {f['status']}")
    if result.narrow:
        lines.append("  sämsta exempel / worst examples:")
        for d in result.narrow[:examples]:
            lines.append(
                f"    {d['table']} {'/'.join(d['key'])} {d['column']}: [{d['lower']}, {d['upper']}]"
            )
    verdict = "GODKÄND / PASSED" if result.passed else "UNDERKÄND / FAILED"
    lines.append(f"  {verdict} ({result.seconds:.1f} s)")
    return "\n".join(lines)


def cmd_audit(args, settings: Settings) -> int:
    path = Path(args.file) if args.file else settings.published_db
    if not path.exists():
        print(f"mognad audit: filen finns inte / no such file: {path}", file=sys.stderr)
        return 2
    build_db = settings.build_db if settings.build_db.exists() else None
    progress = None if args.json else (lambda m: print(m, flush=True))
    result = audit(path, settings.min_cell, build_db=build_db, progress=progress)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report(result), flush=True)
    return 0 if result.passed else 1


def register(sub) -> None:
    a = sub.add_parser(
        "audit", help="prove that no hidden count can be derived from the published numbers"
    )
    a.add_argument("file", nargs="?", help="published DuckDB file (default: the county file)")
    a.add_argument("--json", action="store_true", help="the result as JSON")
