"""Parsing a sheet: JSON row objects to a table, a title row above the header, a
mapping file, then the feed's parser (columnar for tabular survey, training and HR files;
row-wise for the rest). The rules live in `rules`, the row-wise parsers in `rows`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from mognad.contract.problems import Problem, problem
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet
from mognad.ingest.rows import ROW_PARSERS, _parse_kolada
from mognad.ingest.rules import Context, HeaderMap, Parsed, _fatal, map_header


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
    parser: Callable = ROW_PARSERS[feed]
    if feed == "survey" and not hmap.items:
        return _fatal(len(sheet.rows), problem("no_items", 1))
    if columnar:
        from mognad.ingest.columnar import parse_columns

        fast = parse_columns(feed, sheet, hmap, ctx, parser)
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
