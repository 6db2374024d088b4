"""The row-wise parsers: one function per feed that checks and converts one row, naming
each problem (row, column as delivered, code). The columnar parser hands them the rows it
found bad, so every message has one source."""

from __future__ import annotations

import math
import re

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import (
    FORMATS,
    KOLADA_GENDER,
    STATUSES,
    Context,
    Parsed,
    _cell,
    _col,
    _fatal,
    _person,
    _training_record,
)


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


# The row-wise parser of each tabular feed (the columnar parser is handed these to name the
# problems of the rows it found bad).
ROW_PARSERS = {"survey": _survey_row, "training": _training_row, "hr": _hr_row}
