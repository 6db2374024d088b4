"""The plan feed (CONTRACT §3 "plan"): headers in Swedish and English, CSV and XLSX, the
row rules and the rules across rows, receipts and quarantine, `mognad check` and the
template."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import duckdb
import pytest
import xlsxwriter

from mognad.guide.templates import csv_bytes, xlsx_bytes
from mognad.ingest.check import check_file
from mognad.ingest.feeds import parse
from mognad.ingest.plan import COLUMNS, course_codes
from mognad.ingest.readers import read_csv_bytes
from mognad.ingest.rules import Context
from mognad.ingest.run import ingest
from tests.conftest import drop

SV = ["steg", "målgrupp", "förvaltning", "kurskoder", "startdatum", "klart_senast", "mål",
      "efter_steg"]  # fmt: skip
EN = [c.name for c in COLUMNS]
GOOD = [
    ["1 Webbmodul chefer", "chef", "", "WEB1; WEB2", "2025-01-13", "2025-03-31", "80", ""],
    ["2 Workshop chefer", "Chefer", "", "WS1", "2025-03-01", "2025-05-31", "75,5",
     "1 Webbmodul chefer"],
    ["3 Alla", "alla", "Socialförvaltningen", "DIG1", "", "2026-06-30", "90 %", ""],
]  # fmt: skip


def _csv(rows, header=SV, delimiter=";") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _parse(rows, header=SV):
    return parse("plan", read_csv_bytes(_csv(rows, header)), Context(None))


def _codes(parsed) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in parsed.problems]


def test_a_good_plan_in_swedish_and_in_english_headers_reads_alike():
    sv, en = _parse(GOOD), _parse(GOOD, EN)
    assert sv.problems == en.problems == []
    assert sv.records == en.records
    first, second, third = sv.records
    assert first["course_codes"] == "WEB1;WEB2" and first["target_group"] == "chef"
    assert first["starts_on"] == dt.date(2025, 1, 13) and first["due_on"] == dt.date(2025, 3, 31)
    assert second["target_group"] == "chef" and second["target_pct"] == 75.5
    assert second["after_step"] == "1 Webbmodul chefer"
    assert third["department"] == "Socialförvaltningen" and third["target_pct"] == 90
    assert third["starts_on"] is None and third["target_group"] == "alla"
    assert [r["source_row"] for r in sv.records] == [2, 3, 4]


def test_course_codes_split_on_comma_or_semicolon_trimmed_and_deduplicated():
    iri = "https://lms.example.se/xapi/activities/chefsdag"
    assert course_codes(f" A1 ; {iri},A1,, B2 ") == ["A1", iri, "B2"]
    assert course_codes(" ; , ") == []


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({1: "okänd"}, "målgrupp", "invalid_plan_target_group"),
        ({1: ""}, "målgrupp", "missing_value"),
        ({0: ""}, "steg", "missing_value"),
        ({3: " ; "}, "kurskoder", "missing_value"),
        ({5: ""}, "klart_senast", "missing_value"),
        ({5: "31/31/2025"}, "klart_senast", "invalid_date"),
        ({4: "2025-04-01"}, "klart_senast", "due_before_start"),
        ({4: "nästa vecka"}, "startdatum", "invalid_date"),
        ({6: "101"}, "mål", "target_out_of_range"),
        ({6: "-1"}, "mål", "target_out_of_range"),
        ({6: "många"}, "mål", "invalid_number"),
        ({6: ""}, "mål", "missing_value"),
        ({7: "9 Finns inte"}, "efter_steg", "unknown_after_step"),
    ],
)
def test_a_bad_value_is_a_problem_on_its_row_and_column(change, column, code):
    rows = [list(r) for r in GOOD]
    for i, value in change.items():
        rows[0][i] = value
    parsed = _parse(rows)
    assert (2, column, code) in _codes(parsed)
    # a step without a name leaves the step that follows it pointing at nothing
    others = [(p.row, p.code) for p in parsed.problems if p.row != 2]
    assert others == ([(3, "unknown_after_step")] if column == "steg" else [])


def test_target_bounds_0_and_100_are_allowed():
    rows = [list(r) for r in GOOD]
    rows[0][6], rows[1][6] = "0", "100,0"
    assert _parse(rows).problems == []


def test_a_cycle_is_a_problem_on_every_row_of_the_cycle_and_only_there():
    rows = [
        ["A", "chef", "", "X", "", "2025-06-30", "50", "C"],
        ["B", "chef", "", "X", "", "2025-06-30", "50", "A"],
        ["C", "chef", "", "X", "", "2025-06-30", "50", "B"],
        ["D", "chef", "", "X", "", "2025-06-30", "50", "A"],  # follows the cycle: not on it
        ["E", "chef", "", "X", "", "2025-06-30", "50", "E"],  # after itself
    ]
    parsed = _parse(rows)
    assert _codes(parsed) == [
        (2, "efter_steg", "plan_cycle"),
        (3, "efter_steg", "plan_cycle"),
        (4, "efter_steg", "plan_cycle"),
        (6, "efter_steg", "plan_cycle"),
    ]
    assert [r["step"] for r in parsed.records] == ["D"]


def test_a_duplicate_step_is_a_problem_on_the_later_row_naming_the_first():
    rows = [list(r) for r in GOOD] + [["1 Webbmodul chefer", "chef", "", "W", "", "2025-06-30",
                                        "50", ""]]  # fmt: skip
    parsed = _parse(rows)
    assert _codes(parsed) == [(5, "steg", "duplicate_step")]
    assert "rad/row 2" in parsed.problems[0].message
    assert parsed.problems[0].message.startswith("Samma steg")  # Swedish first


def test_a_date_time_with_an_offset_counts_on_its_stockholm_date():
    rows = [list(r) for r in GOOD]
    rows[0][5] = "2025-03-31T23:30:00Z"  # 01:30 on 1 April in Stockholm
    (first, *_) = _parse(rows).records
    assert first["due_on"] == dt.date(2025, 4, 1)


def test_xlsx_with_date_cells_and_a_title_row(settings):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Plan")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write(0, 0, "Utbildningsplan Härnösand 2025")
    for c, head in enumerate(SV):
        ws.write_string(1, c, head)
    for r, row in enumerate(GOOD, start=2):
        for c, value in enumerate(row):
            if c in (4, 5) and value:
                ws.write_datetime(r, c, dt.datetime.fromisoformat(value), date_fmt)
            elif c == 6:
                ws.write_number(r, c, float(value.replace(",", ".").rstrip(" %")))
            else:
                ws.write_string(r, c, value)
    wb.close()
    drop(settings, "2280", "plan", "plan.xlsx", buf.getvalue())
    report = ingest(settings, progress=None)
    assert [o.status for o in report.outcomes] == ["loaded"]
    [path] = settings.raw.glob("feed=plan/*/*/data.parquet")
    got = duckdb.sql(
        f"select step, due_on, target_pct, course_codes from '{path}' order by source_row"
    ).fetchall()
    assert got == [
        ("1 Webbmodul chefer", dt.date(2025, 3, 31), 80.0, "WEB1;WEB2"),
        ("2 Workshop chefer", dt.date(2025, 5, 31), 75.5, "WS1"),
        ("3 Alla", dt.date(2026, 6, 30), 90.0, "DIG1"),
    ]


def _receipt(settings, name):
    [path] = (settings.inbox / "2280" / "receipts").glob(f"{name}.*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_receipts_list_problems_and_too_many_rejected_quarantines(settings):
    # no pseudonym key: the plan holds no personnummer and needs none
    rows = [list(r) for r in GOOD] * 1
    rows += [[f"{i} Extra", "alla", "", "X", "", "2025-06-30", "50", ""] for i in range(4, 12)]
    rows[3][6] = "150"
    drop(settings, "2280", "plan", "plan_ok.csv", _csv(rows))
    bad = [list(r) for r in GOOD]
    bad[0][1] = "okänd"
    drop(settings, "2280", "plan", "plan_bad.csv", _csv(bad))
    ingest(settings, progress=None)
    ok = _receipt(settings, "plan_ok.csv")
    assert (ok["status"], ok["feed"], ok["rows_read"], ok["rows_loaded"]) == (
        "loaded",
        "plan",
        11,
        10,
    )
    assert [(p["row"], p["column"], p["code"]) for p in ok["problems"]] == [
        (5, "mål", "target_out_of_range")
    ]
    quarantined = _receipt(settings, "plan_bad.csv")
    assert quarantined["status"] == "quarantined"  # 1 of 3 rows rejected > 20 %
    assert not any("plan_bad" in str(p) for p in settings.raw.glob("feed=plan/*/*/data.parquet"))


def test_missing_required_column_quarantines(settings):
    header = [h for h in SV if h != "klart_senast"]
    rows = [[v for i, v in enumerate(r) if i != 5] for r in GOOD]
    drop(settings, "2280", "plan", "utan_datum.csv", _csv(rows, header))
    ingest(settings, progress=None)
    r = _receipt(settings, "utan_datum.csv")
    assert r["status"] == "quarantined"
    assert [p["code"] for p in r["problems"]] == ["missing_column"]
    assert "due_on" in r["problems"][0]["message"]


def test_check_gives_the_receipt_without_writing(tmp_path):
    path = tmp_path / "ingest" / "2280" / "plan" / "plan.csv"
    path.parent.mkdir(parents=True)
    rows = [list(r) for r in GOOD]
    rows += [[f"{i} Extra", "alla", "", "X", "", "2025-06-30", "50", ""] for i in range(4, 9)]
    rows[1][7] = "Finns inte"
    path.write_bytes(_csv(rows))
    receipt = check_file(path)
    assert receipt["feed"] == "plan" and receipt["municipality_code"] == "2280"
    assert [(p["row"], p["code"]) for p in receipt["problems"]] == [(3, "unknown_after_step")]
    assert path.exists() and not (tmp_path / "ingest" / "2280" / "receipts").exists()


def test_the_templates_read_back_without_problems():
    for data, kind in ((csv_bytes("plan"), "csv"), (xlsx_bytes("plan"), "xlsx")):
        if kind == "csv":
            sheet = read_csv_bytes(data)
        else:
            import tempfile
            from pathlib import Path

            from mognad.ingest.readers import read_file

            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / "plan.xlsx"
                p.write_bytes(data)
                sheet = read_file(p, data)
        parsed = parse("plan", sheet, Context(None))
        assert parsed.problems == [] and parsed.rows_loaded == 1, kind
        assert parsed.records[0]["course_codes"] == "DIG101;DIG102"
