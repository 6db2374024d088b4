"""The attacker's knowledge as linear constraints over the hidden cells.

Every shown number of the person-count marts becomes a constraint (docs/metod.md):

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
  snapshot). These are marked ``cross``: a component where they contradict what is shown
  is solved without them.

An expression is ``(coefficients, constant, shown)``: ``shown`` names the shown cells whose
values went into the constant, so the protection (``protect``) knows which shown cells a
constraint leans on and can hide one of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

SCHEMA = "marts"
TARGET_GROUPS = ("förtroendevald", "chef", "medarbetare")
GENDERS = ("kvinna", "man", "annat", "ej angivet")
MAX_SCORE = 100.0

# A linear expression: ({variable index: coefficient}, constant, shown cell names)
Expr = tuple[dict, float, frozenset]
NOTHING: frozenset = frozenset()


@dataclass
class Var:
    name: tuple
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
            self.vars.append(Var(name, table, key, column, audited=audited))
        return self.names[name]

    def cell(self, name, value, table, key, column, audited=True) -> Expr:
        """A count cell: shown (a constant) or hidden (a variable). A cell shown in any table
        is known, whichever table hides it."""
        if value is not None and not _isnan(value):
            self.shown[name] = float(value)
        if name in self.shown:
            return ({}, self.shown[name], frozenset((name,)))
        return ({self.var(name, table, key, column, audited): 1.0}, 0.0, NOTHING)

    def get(self, name) -> Expr | None:
        if name in self.shown:
            return ({}, self.shown[name], frozenset((name,)))
        if name in self.names:
            return ({self.names[name]: 1.0}, 0.0, NOTHING)
        return None

    def add(self, expr: Expr, kind="eq", cross=False) -> None:
        if not expr[0]:
            return  # only shown numbers: nothing to learn
        self.constraints.append((expr, kind, cross))


KNOWN_ZERO: Expr = ({}, 0.0, NOTHING)


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def lin(*terms) -> Expr:
    """Sum of (coefficient, expr) pairs."""
    coeffs: dict = defaultdict(float)
    const = 0.0
    shown: set = set()
    for c, (e, k, s) in terms:
        for i, a in e.items():
            coeffs[i] += c * a
        const += c * k
        if c:
            shown |= s
    return ({i: a for i, a in coeffs.items() if a != 0.0}, const, frozenset(shown))


def margin(model: Model, total: Expr | None, parts: list[Expr | None], kind="eq", cross=False):
    """total = sum(parts) (kind eq), skipped when a term is not applicable (None)."""
    if total is None or any(p is None for p in parts):
        return
    model.add(lin((1.0, total), *((-1.0, p) for p in parts)), kind, cross)


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


def _raise_lower(model: Model, expr: Expr, lower: float) -> None:
    if expr[0]:
        v = model.vars[next(iter(expr[0]))]
        v.lower = max(v.lower, lower)


def _sparse_grid(model, rows, table, keycols, count_cols, exists_min=1):
    """Tables whose rows exist only when someone is in them: a present hidden row holds at
    least `exists_min` in its first count column; an absent row of a present block is 0."""
    stores = {c: {} for c in count_cols}
    for r in rows:
        key = tuple(r[k] for k in keycols)
        for c in count_cols:
            stores[c][key] = model.cell((table, key, c), _vals(r[c]), table, key, c)
        _raise_lower(model, stores[count_cols[0]][key], exists_min)
    return stores


def _fill(store: dict, prefixes: set, tgs, genders) -> None:
    """Absent cells of a present block are known zeros."""
    for p in sorted(prefixes):
        for t in (*tgs, "alla"):
            for g in (*genders, "alla"):
                store.setdefault((*p, t, g), KNOWN_ZERO)


def _vals(value):
    return None if value is None else float(value)


def rows_of(con, table: str) -> list[dict] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchone()[0]
    if not exists:
        return None
    # in a fixed order: the protection's choices follow the order it meets the cells in, and
    # an incremental and a full build store the same rows in different orders
    cur = con.execute(f'select * from {SCHEMA}."{table}" order by all')
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# --- the marts as constraints -------------------------------------------------------------


def _maturity(model: Model, con, audited: list[str]) -> None:
    rows = rows_of(con, "fct_maturity_gender") or []
    extra = rows_of(con, "fct_maturity") or []
    profile = rows_of(con, "fct_category_profile") or []
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
            v = model.var(name, "fct_maturity_gender", key, "score_sum", False)
            s = ({v: 1.0}, 0.0, NOTHING)
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


def _coverage(model: Model, con, audited: list[str]) -> dict:
    rows = rows_of(con, "fct_training_coverage")
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
    for p in sorted(prefixes):
        for s in st.values():
            _two_way(model, s, p, tgs, gs)
    for r in rows:
        key = tuple(r[k] for k in keycols)
        h, t = st["headcount"][key], st["trained_persons"][key]
        _le(model, t, h)
        _pct(model, r["coverage_pct"], t, h)
    return st["headcount"]


def _response_rate(model: Model, con, audited: list[str], coverage_headcount: dict) -> None:
    rows = rows_of(con, "fct_response_rate")
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
            if len(parts) == 1:
                _twin(model, e, parts[0])
        # between marts: the same HR snapshot (the latest on or before 31 December)
        if (m, w, tg) in hc:
            december = coverage_headcount.get((m, f"{w}-12", tg, "alla"))
            margin(model, hc[(m, w, tg)], [december], cross=True)
            _twin(model, hc[(m, w, tg)], december)


def _twin(model: Model, a: Expr | None, b: Expr | None) -> None:
    """Two cells that are one count (an identity between marts): when one of them is shown,
    the other is shown too, whichever mart hides it — not a hidden count to protect. (It
    still constrains the others; a hidden cell without a shown twin is audited as usual.)"""
    if a is None or b is None:
        return
    for hidden, shown in ((a, b), (b, a)):
        if hidden[0] and not shown[0] and len(hidden[0]) == 1:
            model.vars[next(iter(hidden[0]))].audited = False


def _completions(model: Model, con, audited: list[str]) -> None:
    rows = rows_of(con, "fct_training_completions")
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
    for m, p, c in sorted(prefixes):  # a fixed constraint order: the same LPs
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
    gender_rows = rows_of(con, "fct_training_plan_gender") or []
    rows = rows_of(con, "fct_training_plan") or []
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
            if key[2] != "alla":  # a gender row exists only when someone is in it
                _raise_lower(model, hc[key], 1.0)
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
    for m, s in sorted(steps):
        for store in (hc, done):
            parts = [store.get((m, s, g), KNOWN_ZERO) for g in GENDERS]  # absent: nobody
            if any((m, s, g) in store for g in GENDERS):  # the gender mart is published
                margin(model, store.get((m, s, "alla")), parts)


def build_model_from(con) -> tuple[Model, list[str]]:
    """The model of the marts in an open DuckDB connection (schema ``marts``)."""
    model = Model()
    audited: list[str] = []
    _maturity(model, con, audited)
    cov = _coverage(model, con, audited)
    _response_rate(model, con, audited, cov)
    _completions(model, con, audited)
    _plan(model, con, audited)
    return model, audited


TRUE_VALUE_SOURCES = [
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


def read_true_values_from(model: Model, con) -> int:
    """The unsuppressed counts where the build file keeps them (the maturity cells, the plan's
    step cells): only to tell hidden zeros (which disclose nobody) from hidden counts."""
    import duckdb

    found = 0
    for sql, pairs in TRUE_VALUE_SOURCES:
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
    return found
