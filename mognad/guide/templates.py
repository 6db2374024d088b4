"""Blank delivery templates per feed: CSV and XLSX with a header row and one sample row.

The headers are the Swedish names from :data:`mognad.ingest.rules.FEED_COLUMNS` (the first
alias), so a template read by ingest maps every column. The XLSX templates carry
data-validation lists for target group and gender, and format identifier and code columns
as text so Excel keeps leading zeros. The sample row validates (its personnummer is a
made-up, Luhn-valid number) and should be replaced by real rows.

    mognad templates [--dir D]
    mognad templates --mapping-from EXPORT.xlsx --municipality 2281 [--feed survey]

``--mapping-from`` writes a mapping skeleton for a survey tool's export instead
(:func:`mognad.guide.skeleton.skeleton`): the columns and questions it recognises filled in,
the rest listed for the municipality to fill in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from mognad.config import TARGET_GROUPS
from mognad.contract.feeds import DELIVERED_FEEDS
from mognad.contract.personnummer import build as build_pnr
from mognad.contract.personnummer import format_as
from mognad.contract.reference import codebook
from mognad.ingest.rules import FEED_COLUMNS

TEMPLATE_FEEDS = DELIVERED_FEEDS
GENDER_CHOICES = ("kvinna", "man", "annat")
TEXT_COLUMNS = {"respondent_id", "person_id", "course_code", "aid_code", "course_codes"}
DATE_COLUMNS = {"submitted_at", "completed_at", "snapshot_date", "starts_on", "due_on"}
LIST_ROWS = 5000  # data validation covers this many rows below the header

# A made-up person: born 1 January 1980, serial 238 (even: woman by convention).
SAMPLE_PNR = format_as(build_pnr(dt.date(1980, 1, 1), 238), "long-")
SAMPLE_DATE = dt.date(2025, 3, 14)


def _sample_values(feed: str) -> dict[str, object]:
    if feed == "survey":
        return {
            "respondent_id": "R0001",
            "submitted_at": SAMPLE_DATE,
            "target_group": "medarbetare",
            "gender": "kvinna",
            "department": "Kommunledningsförvaltningen",
            "instrument": "dimios",
        }
    if feed == "training":
        return {
            "person_id": SAMPLE_PNR,
            "course_code": "DIG101",
            "course_name": "Digital grundkurs",
            "completed_at": SAMPLE_DATE,
            "status": "completed",
            "format": "e-learning",
            "hours": "1,5",
        }
    if feed == "plan":  # one step of a plan: the managers' web module before a workshop
        return {
            "step": "1 Webbmodul chefer",
            "target_group": "chef",
            "department": "",
            "course_codes": "DIG101; DIG102",
            "starts_on": dt.date(2025, 1, 13),
            "due_on": dt.date(2025, 3, 31),
            "target_pct": "80",
            "after_step": "",
        }
    return {
        "person_id": SAMPLE_PNR,
        "snapshot_date": dt.date(2025, 12, 31),
        "department": "Kommunledningsförvaltningen",
        "unit": "IT-enheten",
        "target_group": "medarbetare",
        "manager": "nej",
        "gender": "kvinna",
        "aid_code": "012345",
        "fte": "100",
    }


def header_name(column) -> str:
    """The Swedish header for a column: its first alias, else its English name."""
    return column.aliases[0] if column.aliases else column.name


def template_rows(feed: str) -> tuple[list[str], list[str], list[object]]:
    """(column names, headers, sample values) for one feed."""
    names = [c.name for c in FEED_COLUMNS[feed]]
    headers = [header_name(c) for c in FEED_COLUMNS[feed]]
    sample = _sample_values(feed)
    values = [sample.get(n, "") for n in names]
    if feed == "survey":
        for i, code in enumerate(codebook()["dimios"]):
            names.append(code)
            headers.append(code)
            values.append(str(1 + (i % 6)))
    return names, headers, values


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def csv_bytes(feed: str) -> bytes:
    """UTF-8 with BOM and `;` as delimiter: what Excel in Swedish opens and saves."""
    _, headers, values = template_rows(feed)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(headers)
    w.writerow([_text(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(feed: str) -> bytes:
    import xlsxwriter

    names, headers, values = template_rows(feed)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties(
        {
            "title": f"mognad – mall för {feed}",
            "author": "mognad",
            "created": dt.datetime(2026, 1, 1),
        }
    )
    ws = wb.add_worksheet(feed)
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    text = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, (name, head, value) in enumerate(zip(names, headers, values, strict=True)):
        ws.write_string(0, c, head, bold)
        ws.set_column(c, c, max(10, len(head) + 2), text if name in TEXT_COLUMNS else None)
        if isinstance(value, dt.date):
            ws.write_datetime(1, c, dt.datetime(value.year, value.month, value.day), date_fmt)
        elif value != "":
            ws.write_string(1, c, str(value), text if name in TEXT_COLUMNS else None)
        choices = {"target_group": TARGET_GROUPS, "gender": GENDER_CHOICES}.get(name)
        if feed == "plan" and name == "target_group":
            choices = (*TARGET_GROUPS, "alla")
        if choices:
            ws.data_validation(
                1,
                c,
                LIST_ROWS,
                c,
                {
                    "validate": "list",
                    "source": list(choices),
                    "ignore_blank": True,
                    "input_title": head,
                    "input_message": "Välj / choose: " + ", ".join(choices),
                    "error_title": head,
                    "error_message": "Välj ett värde ur listan / choose a value from the list",
                },
            )
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


def write_templates(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for feed in TEMPLATE_FEEDS:
        for suffix, data in (("csv", csv_bytes(feed)), ("xlsx", xlsx_bytes(feed))):
            path = folder / f"{feed}.{suffix}"
            path.write_bytes(data)
            written.append(path)
    return written


def mapping_skeleton(
    export: Path, feed: str = "survey", municipality_code: str | None = None
) -> str:
    """A mapping file (YAML text) for exports shaped like ``export``."""
    from mognad.guide.skeleton import skeleton
    from mognad.ingest.readers import read_file

    export = Path(export)
    sheet = read_file(export, export.read_bytes())
    return skeleton(feed, sheet, municipality_code, export.name)


def write_mapping_skeleton(
    export: Path, folder: Path, feed: str = "survey", municipality_code: str | None = None
) -> Path:
    """The skeleton as ``<folder>/<kommunkod>/<feed>.yaml`` (the layout of the county's
    mappings folder), never over an existing mapping."""
    text = mapping_skeleton(export, feed, municipality_code)
    target = Path(folder) / (municipality_code or "kommunkod") / f"{feed}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target = target.with_name(f"{feed}.skeleton.yaml")
    target.write_text(text, encoding="utf-8")
    return target
