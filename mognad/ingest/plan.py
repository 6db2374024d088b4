"""The `plan` feed: one row per step of a municipality's training plan (CONTRACT §3 "plan").

A plan file is the municipality's whole plan, so some rules look across rows: a step's
name is unique in the file, `after_step` must name a step of the same file, and following
`after_step` from any step must never come back to it (a cycle). Those problems are
reported on the offending row, like every other rule, so a municipality can fix the row
the receipt names. Plans are a few dozen rows: they are parsed row by row (the columnar
fast path of the other feeds is not used for this feed).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from mognad.contract.problems import Problem, problem
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import FEED_COLUMNS, Column, Context, HeaderMap, Parsed, _cell, _col

COLUMNS: tuple[Column, ...] = FEED_COLUMNS["plan"]

PLAN_TARGET_GROUPS = {"alla": "alla", "all": "alla", "samtliga": "alla", "everyone": "alla"}
COURSE_SEPARATOR = ";"
"""Landed course codes are joined with this (a code never contains `,` or `;`: they split)."""

_STOCKHOLM = ZoneInfo("Europe/Stockholm")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def target_group(value: object) -> str | None:
    """A plan's target group: the hr feed's three, or `alla` for everyone."""
    v = V.norm(value)
    return PLAN_TARGET_GROUPS.get(v) or V.target_group(v)


def course_codes(value: object) -> list[str]:
    """The step's course codes in the order written, trimmed, blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;]", V.clean(value)):
        code = part.strip()
        if code:
            seen.setdefault(code, None)
    return list(seen)


def plan_date(value: object, *, excel: bool) -> dt.date | None:
    """A date; a date-time with an offset or `Z` counts on its Europe/Stockholm date."""
    v = V.clean(value)
    if not v:
        return None
    if _OFFSET.search(v):
        try:
            parsed = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(_STOCKHOLM).date()
    ts = V.timestamp(v, excel=excel)
    return ts.date() if ts else None


def percent(value: object) -> float | None:
    """A percentage as people write it (`80`, `80,5`, `80 %`); raises ValueError otherwise."""
    v = V.clean(value).replace("\u00a0", "").replace(" ", "").rstrip("%")
    return V.number(v)


def _row(row: list, row_no: int, hmap: HeaderMap, excel: bool) -> tuple[dict, list[Problem]]:
    c = hmap.columns
    errs: list[Problem] = []
    step = " ".join(_cell(row, c["step"]).split())
    if not step:
        errs.append(problem("missing_value", row_no, _col(hmap, "step")))
    raw_tg = _cell(row, c["target_group"])
    tg = target_group(raw_tg) if raw_tg else None
    if not raw_tg:
        errs.append(problem("missing_value", row_no, _col(hmap, "target_group")))
    elif tg is None:
        errs.append(problem("invalid_plan_target_group", row_no, _col(hmap, "target_group")))
    codes = course_codes(_cell(row, c["course_codes"]))
    if not codes:
        errs.append(problem("missing_value", row_no, _col(hmap, "course_codes")))
    raw_start = _cell(row, c.get("starts_on"))
    starts_on = plan_date(raw_start, excel=excel) if raw_start else None
    if raw_start and starts_on is None:
        errs.append(problem("invalid_date", row_no, _col(hmap, "starts_on")))
    raw_due = _cell(row, c["due_on"])
    due_on = plan_date(raw_due, excel=excel) if raw_due else None
    if not raw_due:
        errs.append(problem("missing_value", row_no, _col(hmap, "due_on")))
    elif due_on is None:
        errs.append(problem("invalid_date", row_no, _col(hmap, "due_on")))
    elif starts_on is not None and due_on < starts_on:
        errs.append(problem("due_before_start", row_no, _col(hmap, "due_on")))
    raw_target = _cell(row, c["target_pct"])
    target = None
    if not raw_target:
        errs.append(problem("missing_value", row_no, _col(hmap, "target_pct")))
    else:
        try:
            target = percent(raw_target)
        except ValueError:
            errs.append(problem("invalid_number", row_no, _col(hmap, "target_pct")))
        else:
            if target is None or not 0 <= target <= 100:
                errs.append(problem("target_out_of_range", row_no, _col(hmap, "target_pct")))
    after = " ".join(_cell(row, c.get("after_step")).split()) or None
    record = {
        "step": step,
        "target_group": tg,
        "department": " ".join(_cell(row, c.get("department")).split()) or None,
        "course_codes": COURSE_SEPARATOR.join(codes),
        "starts_on": starts_on,
        "due_on": due_on,
        "target_pct": target,
        "after_step": after,
        "source_row": row_no,
    }
    return record, errs


def _cycle_members(after_of: dict[str, str]) -> set[str]:
    """Steps that lie on a cycle of `after_step` links (a step after itself included)."""
    on_cycle: set[str] = set()
    for start in after_of:
        path: list[str] = []
        where: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in after_of and node not in where:
            where[node] = len(path)
            path.append(node)
            node = after_of[node]
        if node is not None and node in where:
            on_cycle.update(path[where[node] :])
    return on_cycle


def parse_plan(sheet: Sheet, hmap: HeaderMap, ctx: Context) -> Parsed:
    """Check a plan file's rows: each row's own rules, then the rules across rows."""
    excel = sheet.kind == "xlsx"
    rows: list[tuple[int, dict, list[Problem]]] = []
    first_row: dict[str, int] = {}
    for row, row_no in zip(sheet.rows, sheet.row_numbers, strict=True):
        if not any(V.clean(v) for v in row):
            continue  # a blank line inside a small hand-edited sheet is not a step
        record, errs = _row(row, row_no, hmap, excel)
        step = record["step"]
        if step:
            if step in first_row:
                detail = f"rad/row {first_row[step]}"
                errs.append(problem("duplicate_step", row_no, _col(hmap, "step"), detail))
            else:
                first_row[step] = row_no
        rows.append((row_no, record, errs))
    # Links between the first rows of each step: a duplicate row is already rejected.
    after_of = {
        r["step"]: r["after_step"]
        for row_no, r, _ in rows
        if r["step"] and first_row.get(r["step"]) == row_no and r["after_step"]
    }
    cycle = _cycle_members({s: a for s, a in after_of.items() if a in first_row})
    column = _col(hmap, "after_step")
    for row_no, r, errs in rows:
        after = r["after_step"]
        if not after:
            continue
        if after not in first_row:
            errs.append(problem("unknown_after_step", row_no, column, after))
        elif r["step"] in cycle and first_row.get(r["step"]) == row_no:
            errs.append(problem("plan_cycle", row_no, column, f"{r['step']} → {after}"))
    records: list[dict] = []
    problems: list[Problem] = []
    for _, record, errs in rows:
        if errs:
            problems.extend(errs)
        else:
            records.append(record)
    if not rows:
        return Parsed([], 0, 0, [problem("empty_file")], problem("empty_file"))
    return Parsed(records, len(rows), len(records), problems)
