"""The row rules of :mod:`mognad.ingest.feeds`, applied a column at a time.

A delivery repeats itself: a survey column holds a handful of distinct answers, a date
column a few dates, an HR file the same departments and target groups on every row. So
each column is dictionary-encoded by Arrow (C++), the rule's Python function runs once per
*distinct* value, and the result is taken back to every row by index. No Python runs per
row on the common path; the output is an Arrow table in the raw zone's schema.

The per-row functions in :mod:`mognad.ingest.feeds` stay the single source of the rules'
*messages*: the rows found bad here are handed to them to name the problems, in the same
order as a row-by-row parse would. Should they disagree with this module about a row (a
bug), :func:`parse_columns` returns ``None`` and the caller parses the file row by row:
correct first, fast second. ``tests/unit/test_ingest_columnar.py`` checks that both paths
give the same records and problems, on fixed cases and on generated ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import zip_longest

import pyarrow as pa
import pyarrow.compute as pc

from mognad.contract.problems import Problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.land import FEED_SCHEMAS, PROVENANCE
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import FORMATS, STATUSES, Context, HeaderMap, Parsed, _person_key

_PROVENANCE_NAMES = {name for name, _ in PROVENANCE} - {"source_row"}
_AID = re.compile(r"\d{6}")


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


def _clean(text: str) -> tuple:
    v = V.clean(text)
    return (False, v)


def _required(text: str) -> tuple:
    v = V.clean(text)
    return (not v, v)


def _optional(text: str) -> tuple:
    v = V.clean(text)
    return (False, v or None)


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


def _person_fn(ctx: Context):
    key, today = ctx.key, ctx.today

    def fn(text: str) -> tuple:
        raw = V.clean(text)
        pkey = _person_key(raw, key, today) if raw else None
        return (pkey is None, pkey)

    return fn


def _date_fn(excel: bool, *, required: bool):
    def fn(text: str) -> tuple:
        raw = V.clean(text)
        value = V.date_or_month(raw, excel=excel) if raw else None
        bad = (value is None) if required else (bool(raw) and value is None)
        return (bad, value, bool(raw))

    return fn


def _number_fn(*, fte: bool):
    def fn(text: str) -> tuple:
        try:
            value = V.number(V.clean(text))
        except ValueError:
            return (True, None)
        if fte and value is not None and value > 1.5:
            value = value / 100
        return (False, value)

    return fn


def _status_fn(text: str) -> tuple:
    raw = V.norm(text)
    status = STATUSES.get(raw) if raw else None
    return (bool(raw) and status is None, status, bool(raw))


def _format_fn(text: str) -> tuple:
    raw = V.norm(text)
    return (False, FORMATS.get(raw, "other") if raw else None)


def _training(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed:
    c = hmap.columns
    excel = sheet.kind == "xlsx"
    b_person, (pkey,) = _lookup(cols.get(c["person_id"]), _person_fn(ctx), [pa.string()])
    b_course, (course,) = _lookup(cols.get(c["course_code"]), _required, [pa.string()])
    b_date, (completed_at, has_date) = _lookup(
        cols.get(c.get("completed_at")),
        _date_fn(excel, required=False),
        [pa.date32(), pa.bool_()],
    )
    b_status, (mapped, has_status) = _lookup(
        cols.get(c.get("status")), _status_fn, [pa.string(), pa.bool_()]
    )
    implied = pc.if_else(pc.is_valid(completed_at), "completed", "started")
    status = pc.if_else(has_status, mapped, implied)
    done = pc.is_in(status, value_set=pa.array(["completed", "passed"]))
    done = pc.fill_null(done, False)
    b_missing_date = pc.and_(done, pc.invert(has_date))
    _, (fmt,) = _lookup(cols.get(c.get("format")), _format_fn, [pa.string()])
    b_hours, (hours,) = _lookup(cols.get(c.get("hours")), _number_fn(fte=False), [pa.float64()])
    _, (name,) = _lookup(cols.get(c.get("course_name")), _optional, [pa.string()])
    bad = _any([b_person, b_course, b_date, b_status, b_missing_date, b_hours], cols.n)
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


def _target_group_fn(text: str) -> tuple:
    raw = V.clean(text)
    tg = V.target_group(raw) if raw else None
    return (bool(raw) and tg is None, tg, bool(raw))


def _manager_fn(text: str) -> tuple:
    return (False, "chef" if V.yes_no(V.clean(text)) else "medarbetare")


def _gender_fn(text: str) -> tuple:
    g = V.gender(V.clean(text))
    return (g is None, g)


def _aid_fn(excel: bool):
    def fn(text: str) -> tuple:
        aid = V.clean(text)
        if not aid:
            return (False, None)
        if aid.isdigit() and len(aid) < 6 and excel:
            aid = aid.zfill(6)
        return (not _AID.fullmatch(aid), aid)

    return fn


def _hr(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed:
    c = hmap.columns
    excel = sheet.kind == "xlsx"
    b_person, (pkey,) = _lookup(cols.get(c["person_id"]), _person_fn(ctx), [pa.string()])
    b_snap, (snap, _) = _lookup(
        cols.get(c["snapshot_date"]), _date_fn(excel, required=True), [pa.date32(), pa.bool_()]
    )
    b_dept, (dept,) = _lookup(cols.get(c["department"]), _required, [pa.string()])
    b_tg, (tg, has_tg) = _lookup(
        cols.get(c.get("target_group")), _target_group_fn, [pa.string(), pa.bool_()]
    )
    _, (by_manager,) = _lookup(cols.get(c.get("manager")), _manager_fn, [pa.string()])
    tg = pc.if_else(has_tg, tg, by_manager)
    b_gender, (gender,) = _lookup(cols.get(c.get("gender")), _gender_fn, [pa.string()])
    b_aid, (aid,) = _lookup(cols.get(c.get("aid_code")), _aid_fn(excel), [pa.string()])
    b_fte, (fte,) = _lookup(cols.get(c.get("fte")), _number_fn(fte=True), [pa.float64()])
    _, (unit,) = _lookup(cols.get(c.get("unit")), _optional, [pa.string()])
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


def _timestamp_fn(excel: bool):
    def fn(text: str) -> tuple:
        ts = V.timestamp(V.clean(text), excel=excel)
        return (ts is None, ts, None if ts is None else ts.year)

    return fn


def _instrument_fn(text: str) -> tuple:
    return (False, V.norm(text))


def _answer_fn(item):
    def fn(text: str) -> tuple:
        try:
            value = V.answer(V.clean(text))
        except ValueError:
            return (True, None)
        if value is not None and not item.scale_min <= value <= item.scale_max:
            return (True, None)
        return (False, value)

    return fn


def _default_instrument(hmap: HeaderMap) -> str:
    """As ``rows._survey_row`` decides it: the one instrument owning the file's items."""
    books = codebook()
    owners = {inst for inst, book in books.items() for code in hmap.items if code in book}
    return owners.pop() if len(owners) == 1 else "dimios"


def _survey(sheet: Sheet, hmap: HeaderMap, ctx: Context, cols: _Columns, row_fn) -> Parsed | None:
    c = hmap.columns
    n = cols.n
    excel = sheet.kind == "xlsx"
    books = codebook()
    default = _default_instrument(hmap)
    _, (rid,) = _lookup(cols.get(c["respondent_id"]), _clean, [pa.string()])
    b_rid = pc.equal(rid, "")
    b_sub, (submitted, wave) = _lookup(
        cols.get(c["submitted_at"]), _timestamp_fn(excel), [pa.timestamp("us"), pa.int32()]
    )
    b_tg, (tg,) = _lookup(cols.get(c["target_group"]), _must_map(V.target_group), [pa.string()])
    b_gender, (gender,) = _lookup(cols.get(c.get("gender")), _gender_fn, [pa.string()])
    _, (dept,) = _lookup(cols.get(c.get("department")), _optional, [pa.string()])
    _, (instrument,) = _lookup(cols.get(c.get("instrument")), _instrument_fn, [pa.string()])
    instrument = pc.if_else(pc.equal(instrument, ""), default, instrument)
    known = pc.is_in(instrument, value_set=pa.array(list(books)))
    b_instrument = pc.invert(known)
    masks = [b_rid, b_sub, b_tg, b_gender, b_instrument]
    usable = pc.filter(instrument, pc.invert(_any(masks, n)))
    names = pc.unique(usable).to_pylist() if len(usable) else [default]
    if len(names) > 1:
        return None  # several instruments in one file: rare, parsed row by row
    book = books.get(names[0]) or {}
    items = [code for code in hmap.items if code in book]
    answers: list[pa.Array] = []
    for code in items:
        b_answer, (answer,) = _lookup(
            cols.get(hmap.items[code]), _answer_fn(book[code]), [pa.int32()]
        )
        masks.append(b_answer)
        answers.append(answer)
    bad = _any(masks, n)
    bad = _duplicates(rid, bad)
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


def _must_map(fn):
    """A rule that maps a cleaned cell to a value, or to None when the cell is bad."""

    def wrapped(text: str) -> tuple:
        value = fn(V.clean(text))
        return (value is None, value)

    return wrapped


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
