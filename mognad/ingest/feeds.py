"""The three feeds of the data contract: columns, aliases and row rules.

Each parser turns a :class:`~mognad.ingest.readers.Sheet` into landed records plus the
problems found, row by row. A problem names the row (as a person counts it), the column
as it was written in the file, and a code from :mod:`mognad.contract.problems`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.identity import normalise, pseudonymise
from mognad.ingest.readers import Sheet


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


FEED_COLUMNS: dict[str, tuple[Column, ...]] = {
    "survey": (
        Column("respondent_id", ("svars_id", "svarsid", "respondent"), True, "unikt svars-id"),
        Column("submitted_at", ("inskickad", "datum"), True, "datum eller datum och tid"),
        Column("target_group", ("målgrupp", "roll"), True, "förtroendevald, chef, medarbetare"),
        Column("gender", ("kön",), False, "kvinna, man, annat"),
        Column("department", ("förvaltning",), False, ""),
        Column("instrument", ("enkät",), False, "dimios (standard) eller digcomp"),
    ),
    "training": (
        Column("person_id", ("personnummer",), True, "personnummer eller samordningsnummer"),
        Column("course_code", ("kurskod",), True, ""),
        Column("course_name", ("kursnamn",), False, ""),
        Column("completed_at", ("slutförd", "datum"), False, "krävs för slutförda rader"),
        Column("status", ("status",), False, "completed, passed, failed, incomplete, started"),
        Column("format", ("form",), False, "e-learning, workshop, other"),
        Column("hours", ("timmar",), False, "decimaltal, komma eller punkt"),
    ),
    "hr": (
        Column("person_id", ("personnummer",), True, "personnummer eller samordningsnummer"),
        Column("snapshot_date", ("datum", "period"), True, "datum eller ÅÅÅÅ-MM"),
        Column("department", ("förvaltning",), True, ""),
        Column("unit", ("enhet",), False, ""),
        Column("target_group", ("målgrupp", "roll"), False, "förtroendevald, chef, medarbetare"),
        Column("manager", ("chef",), False, "ja/nej, används när målgrupp saknas"),
        Column("gender", ("kön",), False, "kvinna, man, annat (K/M)"),
        Column("aid_code", ("aid", "aid-kod"), False, "6 siffror"),
        Column("fte", ("sysselsättningsgrad",), False, "procent eller andel"),
    ),
}

KEYED_FEEDS = ("training", "hr")


def header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text or "").strip().lower())


@dataclass
class HeaderMap:
    columns: dict[str, int]
    original: dict[str, str]
    items: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def map_header(feed: str, header: list[str]) -> HeaderMap:
    keys = [header_key(h) for h in header]
    columns: dict[str, int] = {}
    original: dict[str, str] = {}
    for col in FEED_COLUMNS[feed]:
        for alias in (col.name, *col.aliases):
            k = header_key(alias)
            if k in keys and col.name not in columns:
                idx = keys.index(k)
                if idx in columns.values():
                    continue
                columns[col.name] = idx
                original[col.name] = header[idx].strip()
    items: dict[str, int] = {}
    if feed == "survey":
        known = {code.lower(): code for book in codebook().values() for code in book}
        for idx, k in enumerate(keys):
            if k in known and idx not in columns.values():
                items[known[k]] = idx
                original[known[k]] = header[idx].strip()
    missing = [c.name for c in FEED_COLUMNS[feed] if c.required and c.name not in columns]
    return HeaderMap(columns, original, items, missing)


@dataclass
class Parsed:
    records: list[dict]
    rows_read: int
    rows_loaded: int
    problems: list[Problem]
    fatal: Problem | None = None
    table: object | None = None
    """The landed rows as a ``pyarrow.Table`` (the columnar path) instead of ``records``."""
    receipt: dict = field(default_factory=dict)
    """More for the receipt (``ignored_statements``, ``mapping``): counts and header names,
    never a cell's value."""


@dataclass
class Context:
    key: bytes | None
    today: dt.date = field(default_factory=dt.date.today)
    municipality_code: str | None = None
    home: Path | None = None
    """``MOGNAD_HOME``: where the county's mapping files are (``mappings/<kod>/<feed>.yaml``,
    or the folder ``MOGNAD_MAPPINGS_DIR`` names); ``None``: no mapping files are looked for."""
    mapping: object | None = None
    """A mapping given directly (``mognad check --mapping``) instead of looked up."""


def _cell(row: list, idx: int | None) -> str:
    """The trimmed text of a cell ("" when absent); the per-row hot path, so inlined."""
    if idx is None or idx >= len(row):
        return ""
    value = row[idx]
    return "" if value is None else str(value).strip()


def _fatal(rows_read: int, p: Problem) -> Parsed:
    return Parsed([], rows_read, 0, [p], p)


def _json_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_from_json(sheet: Sheet) -> Sheet | None:
    """A JSON array of flat row objects (what an LMS or HR API returns) as a table.

    The header is every key in order of first appearance; row numbers are the objects'
    positions in the array (1 = the first object). ``None`` when the records are not objects.
    """
    if not sheet.records or not all(isinstance(r, dict) for r in sheet.records):
        return None
    header: dict[str, None] = {}
    for rec in sheet.records:
        for k in rec:
            header.setdefault(str(k), None)
    names = list(header)
    rows = [[_json_cell(rec.get(k)) for k in names] for rec in sheet.records]
    return Sheet(names, rows, list(sheet.row_numbers), "json", sheet.encoding)


def parse(feed: str, sheet: Sheet, ctx: Context, *, columnar: bool = True) -> Parsed:
    """Check and convert a sheet's rows. Tabular survey, training and HR files go a column
    at a time (:mod:`mognad.ingest.columnar`); ``columnar=False`` parses row by row, the
    reference the columnar path is tested against."""
    if feed == "kolada":
        if sheet.kind != "json":
            return _fatal(0, problem("unreadable", detail="Kolada data is JSON"))
        return _parse_kolada(sheet, ctx)
    if sheet.kind == "json":
        if feed == "training":
            from mognad.ingest import xapi

            found = xapi.statements(sheet)
            if found is not None:
                return xapi.parse(sheet, ctx, found)
        table = rows_from_json(sheet)
        if table is None:
            return _fatal(0, problem("unreadable", detail="JSON: expected an array of row objects"))
        sheet = table
    if not sheet.header:
        return _fatal(0, problem("empty_file"))
    from mognad.ingest import mapping as M

    mapped = M.apply_for(feed, sheet, ctx)
    if mapped.fatal is not None:
        return Parsed([], len(sheet.rows), 0, [mapped.fatal], mapped.fatal, receipt=mapped.receipt)
    sheet = mapped.sheet
    parsed = _parse_sheet(feed, sheet, ctx, columnar)
    parsed.receipt.update(mapped.receipt)
    if mapped.original:  # name the export's own headers in problems, not the contract's
        parsed.problems = [M.named_as_delivered(p, mapped.original) for p in parsed.problems]
        if parsed.fatal is not None:
            parsed.fatal = M.named_as_delivered(parsed.fatal, mapped.original)
    return parsed


def _parse_sheet(feed: str, sheet: Sheet, ctx: Context, columnar: bool) -> Parsed:
    hmap = map_header(feed, sheet.header)
    if hmap.missing:
        sheet, hmap = _find_header_below_title(feed, sheet, hmap)
    if hmap.missing:
        names = ", ".join(hmap.missing)
        return _fatal(len(sheet.rows), problem("missing_column", 1, names, names))
    if not sheet.rows:
        return _fatal(0, problem("empty_file"))
    if feed == "plan":  # rules across rows: row by row, never the columnar path
        from mognad.ingest.plan import parse_plan

        return parse_plan(sheet, hmap, ctx)
    parser: Callable = {"survey": _survey_row, "training": _training_row, "hr": _hr_row}[feed]
    if feed == "survey" and not hmap.items:
        return _fatal(len(sheet.rows), problem("no_items", 1))
    if columnar:
        from mognad.ingest.columnar import parse_columns

        fast = parse_columns(feed, sheet, hmap, ctx)
        if fast is not None:
            return fast
    state: dict = {"seen": set()}
    records: list[dict] = []
    problems: list[Problem] = []
    loaded = 0
    for row, row_no in zip(sheet.rows, sheet.row_numbers, strict=True):
        out, errs = parser(row, row_no, hmap, ctx, sheet.kind == "xlsx", state)
        if errs:
            problems.extend(errs)
            continue
        records.extend(out)
        loaded += 1
    return Parsed(records, len(sheet.rows), loaded, problems)


def _find_header_below_title(feed: str, sheet: Sheet, hmap: HeaderMap) -> tuple[Sheet, HeaderMap]:
    """A title line above the header (common in XLSX reports): look a few rows further down."""
    filled = sum(1 for h in sheet.header if V.clean(h))
    if filled > 2:
        return sheet, hmap
    for i, row in enumerate(sheet.rows[:10]):
        candidate = map_header(feed, [V.clean(v) for v in row])
        if not candidate.missing:
            header = [V.clean(v) for v in row]
            return (
                Sheet(
                    header,
                    sheet.rows[i + 1 :],
                    sheet.row_numbers[i + 1 :],
                    sheet.kind,
                    sheet.encoding,
                    sheet.delimiter,
                ),
                candidate,
            )
    return sheet, hmap


def _col(hmap: HeaderMap, name: str) -> str:
    return hmap.original.get(name, name)


def _survey_row(row, row_no, hmap, ctx, excel, state):
    errs: list[Problem] = []
    c = hmap.columns
    rid = _cell(row, c["respondent_id"])
    if not rid:
        errs.append(problem("missing_value", row_no, _col(hmap, "respondent_id")))
    elif rid in state["seen"]:
        errs.append(problem("duplicate_id", row_no, _col(hmap, "respondent_id")))
    submitted = V.timestamp(_cell(row, c["submitted_at"]), excel=excel)
    if submitted is None:
        code = "missing_value" if not _cell(row, c["submitted_at"]) else "invalid_date"
        errs.append(problem(code, row_no, _col(hmap, "submitted_at")))
    tg = V.target_group(_cell(row, c["target_group"]))
    if tg is None:
        errs.append(problem("invalid_target_group", row_no, _col(hmap, "target_group")))
    gender = V.gender(_cell(row, c.get("gender")))
    if gender is None:
        errs.append(problem("invalid_gender", row_no, _col(hmap, "gender")))
    instrument = V.norm(_cell(row, c.get("instrument")))
    books = codebook()
    if not instrument:
        if "default_instrument" not in state:  # the same for every row of the file
            owners = {inst for inst, book in books.items() for code in hmap.items if code in book}
            state["default_instrument"] = owners.pop() if len(owners) == 1 else "dimios"
        instrument = state["default_instrument"]
    book = books.get(instrument)
    if book is None:
        errs.append(problem("unknown_instrument", row_no, _col(hmap, "instrument")))
        return [], errs
    answers: dict[str, int | None] = {}
    for code, idx in hmap.items.items():
        item = book.get(code)
        if item is None:
            continue
        raw = _cell(row, idx)
        try:
            value = V.answer(raw)
        except ValueError:
            errs.append(problem("invalid_answer", row_no, _col(hmap, code)))
            continue
        if value is not None and not item.scale_min <= value <= item.scale_max:
            scale = f"{item.scale_min}–{item.scale_max}"
            errs.append(problem("out_of_scale", row_no, _col(hmap, code), scale))
            continue
        answers[code] = value
    if errs:
        return [], errs
    state["seen"].add(rid)
    base = {
        "respondent_id": rid,
        "submitted_at": submitted,
        "wave": submitted.year,
        "target_group": tg,
        "gender": gender,
        "department": _cell(row, c.get("department")) or None,
        "instrument": instrument,
        "source_row": row_no,
    }
    return [{**base, "item_code": code, "answer": a} for code, a in answers.items()], []


@lru_cache(maxsize=1 << 16)
def _person_key(raw: str, key: bytes, today: dt.date) -> str | None:
    """The pseudonym for a written personnummer (cached: HR and LMS files repeat people)."""
    twelve = normalise(raw, today=today)
    return None if twelve is None else pseudonymise(key, twelve)


def _person(raw: str, row_no: int, column: str, ctx: Context) -> tuple[str | None, Problem | None]:
    pkey = _person_key(raw, ctx.key, ctx.today) if raw else None
    if pkey is None:
        code = "missing_value" if not raw else "invalid_personnummer"
        return None, problem(code, row_no, column)
    return pkey, None


STATUSES = {
    "completed": "completed",
    "complete": "completed",
    "slutförd": "completed",
    "genomförd": "completed",
    "klar": "completed",
    "passed": "passed",
    "godkänd": "passed",
    "failed": "failed",
    "underkänd": "failed",
    "incomplete": "incomplete",
    "ej slutförd": "incomplete",
    "ofullständig": "incomplete",
    "started": "started",
    "påbörjad": "started",
    "browsed": "started",
    "launched": "started",
    "initialized": "started",
    "not attempted": "started",
    "attempted": "started",
}
FORMATS = {
    "e-learning": "e-learning",
    "elearning": "e-learning",
    "webb": "e-learning",
    "webbutbildning": "e-learning",
    "webbkurs": "e-learning",
    "online": "e-learning",
    "workshop": "workshop",
    "seminarium": "workshop",
    "other": "other",
    "annat": "other",
    "övrigt": "other",
}


def _training_record(
    pkey, course_code, course_name, completed_at, status, fmt, hours, row_no
) -> dict:
    return {
        "person_key": pkey,
        "course_code": course_code,
        "course_name": course_name or None,
        "completed_at": completed_at,
        "status": status,
        "completed": status in ("completed", "passed"),
        "format": fmt,
        "hours": hours,
        "source_row": row_no,
    }


def _training_row(row, row_no, hmap, ctx, excel, state):
    errs: list[Problem] = []
    c = hmap.columns
    pkey, err = _person(_cell(row, c["person_id"]), row_no, _col(hmap, "person_id"), ctx)
    if err:
        errs.append(err)
    course = _cell(row, c["course_code"])
    if not course:
        errs.append(problem("missing_value", row_no, _col(hmap, "course_code")))
    raw_date = _cell(row, c.get("completed_at"))
    completed_at = V.date_or_month(raw_date, excel=excel) if raw_date else None
    if raw_date and completed_at is None:
        errs.append(problem("invalid_date", row_no, _col(hmap, "completed_at")))
    raw_status = V.norm(_cell(row, c.get("status")))
    if raw_status:
        status = STATUSES.get(raw_status)
        if status is None:
            errs.append(problem("invalid_status", row_no, _col(hmap, "status")))
    else:
        status = "completed" if completed_at else "started"
    if status in ("completed", "passed") and not raw_date:
        errs.append(problem("missing_value", row_no, _col(hmap, "completed_at")))
    raw_fmt = V.norm(_cell(row, c.get("format")))
    fmt = FORMATS.get(raw_fmt, "other") if raw_fmt else None
    try:
        hours = V.number(_cell(row, c.get("hours")))
    except ValueError:
        hours = None
        errs.append(problem("invalid_number", row_no, _col(hmap, "hours")))
    if errs:
        return [], errs
    name = _cell(row, c.get("course_name"))
    return [_training_record(pkey, course, name, completed_at, status, fmt, hours, row_no)], []


def _hr_row(row, row_no, hmap, ctx, excel, state):
    errs: list[Problem] = []
    c = hmap.columns
    pkey, err = _person(_cell(row, c["person_id"]), row_no, _col(hmap, "person_id"), ctx)
    if err:
        errs.append(err)
    snap = V.date_or_month(_cell(row, c["snapshot_date"]), excel=excel)
    if snap is None:
        code = "missing_value" if not _cell(row, c["snapshot_date"]) else "invalid_date"
        errs.append(problem(code, row_no, _col(hmap, "snapshot_date")))
    dept = _cell(row, c["department"])
    if not dept:
        errs.append(problem("missing_value", row_no, _col(hmap, "department")))
    raw_tg = _cell(row, c.get("target_group"))
    if raw_tg:
        tg = V.target_group(raw_tg)
        if tg is None:
            errs.append(problem("invalid_target_group", row_no, _col(hmap, "target_group")))
    else:
        tg = "chef" if V.yes_no(_cell(row, c.get("manager"))) else "medarbetare"
    gender = V.gender(_cell(row, c.get("gender")))
    if gender is None:
        errs.append(problem("invalid_gender", row_no, _col(hmap, "gender")))
    aid = _cell(row, c.get("aid_code"))
    if aid:
        if aid.isdigit() and len(aid) < 6 and excel:
            aid = aid.zfill(6)
        if not re.fullmatch(r"\d{6}", aid):
            errs.append(problem("invalid_code", row_no, _col(hmap, "aid_code"), "6 siffror/digits"))
    try:
        fte = V.number(_cell(row, c.get("fte")))
        if fte is not None and fte > 1.5:
            fte = fte / 100
    except ValueError:
        fte = None
        errs.append(problem("invalid_number", row_no, _col(hmap, "fte")))
    if errs:
        return [], errs
    return [
        {
            "person_key": pkey,
            "snapshot_date": snap,
            "department": dept,
            "unit": _cell(row, c.get("unit")) or None,
            "target_group": tg,
            "gender": gender,
            "aid_code": aid or None,
            "fte": fte,
            "source_row": row_no,
        }
    ], []


KOLADA_GENDER = {"T": "alla", "K": "kvinna", "M": "man"}


def _parse_kolada(sheet: Sheet, ctx: Context) -> Parsed:
    """Kolada v3 data: a document ``{"values": [...]}`` as landed by ``mognad pull``, or the
    value objects themselves. One record per KPI, year and gender; the row number is the
    position of that data point in the file (1 = the first)."""
    items: list = []
    for rec in sheet.records:
        if isinstance(rec, dict) and isinstance(rec.get("values"), list) and "period" not in rec:
            items.extend(rec["values"])
        else:
            items.append(rec)
    records: list[dict] = []
    problems: list[Problem] = []
    row_no = 0
    deleted = 0
    for item in items:
        points = item.get("values") if isinstance(item, dict) else None
        if not isinstance(points, list):
            row_no += 1
            problems.append(problem("unreadable", row_no, None, "not a Kolada value object"))
            continue
        kpi = V.clean(item.get("kpi"))
        code = V.clean(item.get("municipality")).zfill(4)
        try:
            year = int(str(item.get("period")).strip())
        except ValueError:
            year = None
        for point in points:
            if isinstance(point, dict) and point.get("isdeleted") is True:
                deleted += 1  # withdrawn by Kolada: not current data, not a row
                continue
            row_no += 1
            errs: list[Problem] = []
            if not kpi:
                errs.append(problem("missing_value", row_no, "kpi"))
            if ctx.municipality_code and code != ctx.municipality_code:
                errs.append(problem("wrong_municipality", row_no, "municipality", code))
            if year is None or not 1900 <= year <= 2200:
                errs.append(problem("invalid_date", row_no, "period"))
            point = point if isinstance(point, dict) else {}
            gender = KOLADA_GENDER.get(V.clean(point.get("gender")).upper())
            if gender is None:
                errs.append(problem("invalid_gender", row_no, "gender"))
            raw = point.get("value")
            value = None
            if raw is not None and raw != "":
                try:
                    value = float(raw) if not isinstance(raw, bool) else None
                except (TypeError, ValueError):
                    value = None
                if value is None or not math.isfinite(value):
                    errs.append(problem("invalid_number", row_no, "value"))
            if errs:
                problems.extend(errs)
                continue
            records.append(
                {"kpi": kpi, "year": year, "gender": gender, "value": value, "source_row": row_no}
            )
    rows_read = row_no
    if rows_read == 0:
        return _fatal(0, problem("empty_file"))
    parsed = Parsed(records, rows_read, len(records), problems)
    if deleted:
        parsed.receipt["deleted_values"] = deleted
    return parsed


# The plan feed lives in its own module (its columns and cross-row rules), which imports
# this module's helpers and adds itself to FEED_COLUMNS when imported.
import mognad.ingest.plan  # noqa: E402, F401
