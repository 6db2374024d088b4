"""The rules table of :mod:`mognad.ingest.rules`, applied a column at a time.

A delivery repeats itself: a survey column holds a handful of distinct answers, a date
column a few dates, an HR file the same departments and target groups on every row. So
each column is dictionary-encoded by Arrow (C++), the column's rule (``rules.FEED_RULES``)
runs once per *distinct* value, and the result is taken back to every row by index. No
Python runs per row on the common path; the output is an Arrow table in the raw zone's
schema.

The row-wise parsers (:mod:`mognad.ingest.rows`, which read the same table) stay the single
source of the *messages*: the rows found bad here are handed to them to name the problems,
in the same order as a row-by-row parse would. Should they disagree with this module about
a row (a bug), :func:`parse_columns` returns ``None`` and the caller parses the file row by
row: correct first, fast second. ``tests/unit/test_ingest_columnar.py`` checks that both
paths give the same records and problems, on fixed cases and on generated ones.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest

import pyarrow as pa
import pyarrow.compute as pc

from mognad.contract.problems import Problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.land import FEED_SCHEMAS, PROVENANCE
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import (
    FEED_RULES,
    ITEMS,
    Context,
    HeaderMap,
    Parsed,
    Reading,
    Rule,
    answer_reading,
    default_instrument,
)

_PROVENANCE_NAMES = {name for name, _ in PROVENANCE} - {"source_row"}
SURVEY = FEED_RULES["survey"]
TRAINING = FEED_RULES["training"]
HR = FEED_RULES["hr"]


class _Disagree(Exception):
    """The row rules found a row good that this module found bad: parse row by row."""


def data_schema(feed: str) -> pa.Schema:
    """The raw zone's schema without the provenance the lander adds (load, file, time)."""
    schema = FEED_SCHEMAS[feed]
    return pa.schema([f for f in schema if f.name not in _PROVENANCE_NAMES])


class _Columns:
    """The sheet's columns as Arrow string arrays ("" for an absent or empty cell)."""

    def __init__(self, sheet: Sheet):
        self.n = len(sheet.rows)
        self._raw = list(zip_longest(*sheet.rows)) if sheet.rows else []
        self._cache: dict[int, pa.Array] = {}

    def get(self, idx: int | None) -> pa.Array:
        if idx is None or idx >= len(self._raw):
            return pa.array([""] * self.n, pa.string())
        if idx not in self._cache:
            arr = pa.array(self._raw[idx], pa.string())
            self._cache[idx] = pc.fill_null(arr, "") if arr.null_count else arr
        return self._cache[idx]


def _lookup(arr: pa.Array, fn: Callable[[str], tuple], types: list[pa.DataType]):
    """Apply ``fn`` to each distinct value of ``arr`` and take the results back to every row.

    ``fn(text)`` gets the cell as written (the rules trim it themselves) and returns
    ``(bad, out_1, ..., out_k)``. Returns (bad mask, [k output arrays]), one entry per row."""
    enc = arr.dictionary_encode() if not pa.types.is_dictionary(arr.type) else arr
    results = [fn(v) for v in enc.dictionary.to_pylist()]
    idx = enc.indices
    bad = pa.array([r[0] for r in results], pa.bool_()).take(idx)
    outs = [pa.array([r[i + 1] for r in results], t).take(idx) for i, t in enumerate(types)]
    return bad, outs


def _by_rule(
    cols: _Columns,
    idx: int | None,
    rule: Rule,
    reading: Reading,
    out: pa.DataType,
    default: str = "",
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """One column by its rule in the rules table: (bad mask, values, cell-not-empty mask),
    the rule run once per distinct value. ``default`` stands in for an empty cell."""

    def fn(text: str) -> tuple:
        raw = V.clean(text)
        value, flaw = rule.check(raw or default, reading)
        return (flaw is not None, value, bool(raw))

    bad, (value, present) = _lookup(cols.get(idx), fn, [out, pa.bool_()])
    return bad, value, present


def _any(masks: list[pa.Array], n: int) -> pa.Array:
    out = pa.array([False] * n, pa.bool_())
    for m in masks:
        if pc.any(m).as_py():
            out = pc.or_(out, m)
    return out


def _true_indices(mask: pa.Array) -> list[int]:
    if not pc.any(mask).as_py():
        return []
    return pc.indices_nonzero(mask).to_pylist()


def _name_problems(
    sheet: Sheet,
    bad_rows: list[int],
    row_fn: Callable,
    hmap: HeaderMap,
    ctx: Context,
    state: dict,
) -> list[Problem]:
    excel = sheet.kind == "xlsx"
    problems: list[Problem] = []
    for i in bad_rows:
        out, errs = row_fn(sheet.rows[i], sheet.row_numbers[i], hmap, ctx, excel, state)
        if not errs:
            raise _Disagree(i)
        problems.extend(errs)
    return problems


def _finish(feed: str, sheet: Sheet, bad: pa.Array, columns: dict[str, pa.Array]):
    """The good rows' table in the raw zone's column order."""
    schema = data_schema(feed)
    columns = {**columns, "source_row": pa.array(sheet.row_numbers, pa.int32())}
    table = pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)
    if pc.any(bad).as_py():
        table = table.filter(pc.invert(bad))
    return table


# --- training ---------------------------------------------------------------------------


def _training(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed:
    c = hmap.columns
    r = Reading(sheet.kind == "xlsx", ctx)

    def col(name: str, out: pa.DataType):
        return _by_rule(cols, c.get(name), TRAINING[name], r, out)

    b_person, pkey, _ = col("person_id", pa.string())
    b_course, course, _ = col("course_code", pa.string())
    b_date, completed_at, has_date = col("completed_at", pa.date32())
    b_status, mapped, has_status = col("status", pa.string())
    implied = pc.if_else(pc.is_valid(completed_at), "completed", "started")
    status = pc.if_else(has_status, mapped, implied)
    done = pc.is_in(status, value_set=pa.array(["completed", "passed"]))
    done = pc.fill_null(done, False)
    b_undated = pc.and_(done, pc.invert(has_date))  # the rule across cells: ``undated``
    _, fmt, _ = col("format", pa.string())
    b_hours, hours, _ = col("hours", pa.float64())
    _, name, _ = col("course_name", pa.string())
    bad = _any([b_person, b_course, b_date, b_status, b_undated, b_hours], cols.n)
    problems = _name_problems(sheet, _true_indices(bad), row_fn, hmap, ctx, {})
    table = _finish(
        "training",
        sheet,
        bad,
        {
            "person_key": pkey,
            "course_code": course,
            "course_name": name,
            "completed_at": completed_at,
            "status": status,
            "completed": done,
            "format": fmt,
            "hours": hours,
        },
    )
    return Parsed([], cols.n, table.num_rows, problems, table=table)


# --- hr ---------------------------------------------------------------------------------


def _hr(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed:
    c = hmap.columns
    r = Reading(sheet.kind == "xlsx", ctx)

    def col(name: str, out: pa.DataType):
        return _by_rule(cols, c.get(name), HR[name], r, out)

    b_person, pkey, _ = col("person_id", pa.string())
    b_snap, snap, _ = col("snapshot_date", pa.date32())
    b_dept, dept, _ = col("department", pa.string())
    b_tg, tg, has_tg = col("target_group", pa.string())
    _, by_manager, _ = col("manager", pa.string())
    tg = pc.if_else(has_tg, tg, by_manager)
    b_gender, gender, _ = col("gender", pa.string())
    b_aid, aid, _ = col("aid_code", pa.string())
    b_fte, fte, _ = col("fte", pa.float64())
    _, unit, _ = col("unit", pa.string())
    bad = _any([b_person, b_snap, b_dept, b_tg, b_gender, b_aid, b_fte], cols.n)
    problems = _name_problems(sheet, _true_indices(bad), row_fn, hmap, ctx, {})
    table = _finish(
        "hr",
        sheet,
        bad,
        {
            "person_key": pkey,
            "snapshot_date": snap,
            "department": dept,
            "unit": unit,
            "target_group": tg,
            "gender": gender,
            "aid_code": aid,
            "fte": fte,
        },
    )
    return Parsed([], cols.n, table.num_rows, problems, table=table)


# --- survey -----------------------------------------------------------------------------


def _survey(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed | None:
    c = hmap.columns
    n = cols.n
    r = Reading(sheet.kind == "xlsx", ctx)
    books = codebook()
    default = default_instrument(hmap.items)

    def col(name: str, out: pa.DataType, default: str = ""):
        return _by_rule(cols, c.get(name), SURVEY[name], r, out, default)

    b_rid, rid, _ = col("respondent_id", pa.string())
    b_sub, submitted, _ = col("submitted_at", pa.timestamp("us"))
    wave = pc.year(submitted).cast(pa.int32())
    b_tg, tg, _ = col("target_group", pa.string())
    b_gender, gender, _ = col("gender", pa.string())
    _, dept, _ = col("department", pa.string())
    b_instrument, instrument, _ = col("instrument", pa.string(), default)
    masks = [b_rid, b_sub, b_tg, b_gender, b_instrument]
    usable = pc.filter(instrument, pc.invert(_any(masks, n)))
    names = pc.unique(usable).to_pylist() if len(usable) else [default]
    if len(names) > 1:
        return None  # several instruments in one file: rare, parsed row by row
    book = books.get(names[0]) or {}
    items = [code for code in hmap.items if code in book]
    answers: list[pa.Array] = []
    for code in items:
        reading = answer_reading(r, book[code])
        b_answer, answer, _ = _by_rule(cols, hmap.items[code], SURVEY[ITEMS], reading, pa.int32())
        masks.append(b_answer)
        answers.append(answer)
    bad = _any(masks, n)
    bad = _duplicates(rid, bad)  # the rule across cells: ``repeated``
    state: dict = {"seen": set(), "default_instrument": default}
    problems = _survey_problems(sheet, rid, bad, hmap, ctx, state, row_fn)
    base = _finish(
        "survey",
        sheet,
        bad,
        {
            "respondent_id": rid,
            "submitted_at": submitted,
            "wave": wave,
            "target_group": tg,
            "gender": gender,
            "department": dept,
            "instrument": instrument,
            # the long format's two columns are filled in below
            "item_code": pa.nulls(n, pa.string()),
            "answer": pa.nulls(n, pa.int32()),
        },
    )
    good = pc.invert(bad)
    k = len(items)
    rows = base.num_rows
    if k == 0 or rows == 0:
        table = base.slice(0, 0)
    else:
        import numpy as np

        order = np.arange(rows * k)
        table = base.take(pa.array(order // k))
        codes = pa.array(items, pa.string()).take(pa.array(order % k))
        stacked = pa.concat_arrays([a.filter(good) for a in answers])
        values = stacked.take(pa.array((order % k) * rows + order // k))
        table = table.set_column(table.schema.get_field_index("item_code"), "item_code", codes)
        table = table.set_column(table.schema.get_field_index("answer"), "answer", values)
    loaded = rows
    return Parsed([], n, loaded, problems, table=table)


def _duplicates(rid: pa.Array, bad: pa.Array) -> pa.Array:
    """A respondent id already used by an earlier *accepted* row makes the row bad."""
    good_ids = pc.filter(rid, pc.invert(bad))
    if len(pc.unique(good_ids)) == len(good_ids):
        return bad
    seen: set[str] = set()
    out = bad.to_pylist()
    for i, (r, b) in enumerate(zip(rid.to_pylist(), out, strict=True)):
        if b:
            continue
        if r in seen:
            out[i] = True
        else:
            seen.add(r)
    return pa.array(out, pa.bool_())


def _survey_problems(sheet, rid, bad, hmap, ctx, state, row_fn) -> list[Problem]:
    """Name the bad rows' problems with the row-wise parser (``rows._survey_row``), whose
    duplicate check needs the ids accepted *before* each row."""
    bad_rows = _true_indices(bad)
    if not bad_rows:
        return []
    excel = sheet.kind == "xlsx"
    ids = rid.to_pylist()
    flags = bad.to_pylist()
    problems: list[Problem] = []
    seen = state["seen"]
    for i, r in enumerate(ids):
        if not flags[i]:
            seen.add(r)
            continue
        _, errs = row_fn(sheet.rows[i], sheet.row_numbers[i], hmap, ctx, excel, state)
        if not errs:
            raise _Disagree(i)
        problems.extend(errs)
    return problems


PARSERS: dict[str, Callable] = {"survey": _survey, "training": _training, "hr": _hr}


def parse_columns(
    feed: str, sheet: Sheet, hmap: HeaderMap, ctx: Context, row_parser: Callable
) -> Parsed | None:
    """The feed's rows parsed a column at a time, or ``None``: parse this file row by row.

    ``row_parser`` is the feed's row-wise parser (``rows.ROW_PARSERS[feed]``), which names
    the problems of the rows found bad here, so every message has one source; it is passed
    in, so the two parsers share the rules module and neither imports the other."""
    parser = PARSERS.get(feed)
    if parser is None or not sheet.rows:
        return None
    try:
        return parser(sheet, hmap, ctx, _Columns(sheet), row_parser)
    except _Disagree:
        return None
