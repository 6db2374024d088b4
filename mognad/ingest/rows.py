"""The row-wise parsers: one function per feed that checks and converts one row by the
feed's rules table (``rules.FEED_RULES``), naming each problem (row, column as delivered,
code). The columnar parser hands them the rows it found bad, so every message has one source."""

from __future__ import annotations

import math

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import (
    FEED_RULES,
    ITEMS,
    KOLADA_GENDER,
    Context,
    HeaderMap,
    Parsed,
    Reading,
    Rule,
    _cell,
    _col,
    _fatal,
    _training_record,
    answer_reading,
    default_instrument,
)

SURVEY = FEED_RULES["survey"]
TRAINING = FEED_RULES["training"]
HR = FEED_RULES["hr"]


class _Row:
    """One row read by the rules table, its problems collected in the table's order."""

    __slots__ = ("row", "row_no", "hmap", "reading", "errs")

    def __init__(self, row: list, row_no: int, hmap: HeaderMap, reading: Reading):
        self.row, self.row_no, self.hmap, self.reading = row, row_no, hmap, reading
        self.errs: list[Problem] = []

    def text(self, name: str) -> str:
        return _cell(self.row, self.hmap.columns.get(name))

    def read(self, rule: Rule, name: str | None = None, text: str | None = None, reading=None):
        """The column's value by its rule (``None`` when bad: the problem is collected)."""
        name = name or rule.column
        text = self.text(name) if text is None else text
        value, flaw = rule.check(text, reading or self.reading)
        if flaw is not None:
            self.flag(flaw[0], name, flaw[1])
        return value

    def flag(self, code: str, name: str, detail: str = "") -> None:
        self.errs.append(problem(code, self.row_no, _col(self.hmap, name), detail))


def _reading(state: dict, excel: bool, ctx: Context) -> Reading:
    """The file's reading (the same for every row: made once, kept in the parse's state)."""
    reading = state.get("reading")
    if reading is None:
        reading = state["reading"] = Reading(excel, ctx)
    return reading


def _survey_row(row, row_no, hmap, ctx, excel, state):
    r = _Row(row, row_no, hmap, _reading(state, excel, ctx))
    rid = r.read(SURVEY["respondent_id"])
    if rid is not None and rid in state["seen"]:
        r.flag(SURVEY["respondent_id"].also["repeated"], "respondent_id")
    submitted = r.read(SURVEY["submitted_at"])
    tg = r.read(SURVEY["target_group"])
    gender = r.read(SURVEY["gender"])
    if "default_instrument" not in state:  # the same for every row of the file
        state["default_instrument"] = default_instrument(hmap.items)
    text = r.text("instrument") or state["default_instrument"]
    instrument = r.read(SURVEY["instrument"], text=text)
    if instrument is None:
        return [], r.errs
    answers: dict[str, int | None] = {}
    rule = SURVEY[ITEMS]
    for code, idx, reading in _answer_columns(state, hmap, instrument):
        answers[code] = r.read(rule, code, _cell(row, idx), reading)
    if r.errs:
        return [], r.errs
    state["seen"].add(rid)
    base = {
        "respondent_id": rid,
        "submitted_at": submitted,
        "wave": submitted.year,
        "target_group": tg,
        "gender": gender,
        "department": r.read(SURVEY["department"]),
        "instrument": instrument,
        "source_row": row_no,
    }
    return [{**base, "item_code": code, "answer": a} for code, a in answers.items()], []


def _answer_columns(state: dict, hmap: HeaderMap, instrument: str) -> list[tuple]:
    """(item code, column, reading with the item's scale) of the instrument's items in the
    header, made once per instrument of a file."""
    found = state.setdefault("answer_columns", {})
    if instrument not in found:
        book = codebook()[instrument]
        reading = state["reading"]
        found[instrument] = [
            (code, idx, answer_reading(reading, book[code]))
            for code, idx in hmap.items.items()
            if code in book
        ]
    return found[instrument]


def _training_row(row, row_no, hmap, ctx, excel, state):
    r = _Row(row, row_no, hmap, _reading(state, excel, ctx))
    pkey = r.read(TRAINING["person_id"])
    course = r.read(TRAINING["course_code"])
    completed_at = r.read(TRAINING["completed_at"])
    status = r.read(TRAINING["status"])
    if not r.text("status"):
        status = "completed" if completed_at else "started"
    if status in ("completed", "passed") and not r.text("completed_at"):
        r.flag(TRAINING["completed_at"].also["undated"], "completed_at")
    fmt = r.read(TRAINING["format"])
    hours = r.read(TRAINING["hours"])
    if r.errs:
        return [], r.errs
    name = r.read(TRAINING["course_name"])
    return [_training_record(pkey, course, name, completed_at, status, fmt, hours, row_no)], []


def _hr_row(row, row_no, hmap, ctx, excel, state):
    r = _Row(row, row_no, hmap, _reading(state, excel, ctx))
    pkey = r.read(HR["person_id"])
    snap = r.read(HR["snapshot_date"])
    dept = r.read(HR["department"])
    tg = r.read(HR["target_group"]) if r.text("target_group") else r.read(HR["manager"])
    gender = r.read(HR["gender"])
    aid = r.read(HR["aid_code"])
    fte = r.read(HR["fte"])
    if r.errs:
        return [], r.errs
    return [
        {
            "person_key": pkey,
            "snapshot_date": snap,
            "department": dept,
            "unit": r.read(HR["unit"]),
            "target_group": tg,
            "gender": gender,
            "aid_code": aid,
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
