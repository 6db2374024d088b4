"""xAPI as an LMS plugin (Moodle's logstore_xapi) and an LRS (GET /statements) write it:
hand-written fixtures in tests/fixtures/real/, read through the real ingest."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from mognad.ingest.run import ingest
from tests.conftest import drop

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


@pytest.fixture
def keyed(settings, monkeypatch):
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "xapi-test-key")
    return settings


def _raw(settings) -> list[dict]:
    files = [str(f) for f in settings.raw.glob("feed=training/*/*/data.parquet")]
    con = duckdb.connect()
    rel = con.execute("SELECT * FROM read_parquet(?, union_by_name=true)", [files])
    cols = [d[0] for d in rel.description]
    return sorted(
        (dict(zip(cols, r, strict=True)) for r in rel.fetchall()), key=lambda r: r["source_row"]
    )


def _receipt(settings, code, name, status="loaded") -> dict:
    return json.loads((settings.inbox / code / "receipts" / f"{name}.{status}.json").read_text())


def test_moodle_export_ignores_other_verbs_and_keeps_full_iris_and_swedish_dates(keyed):
    name = "moodle_logstore_xapi.json"
    drop(keyed, "2281", "training", name, (REAL / name).read_bytes())
    report = ingest(keyed, progress=None)
    assert report.count("loaded") == 1
    r = _receipt(keyed, "2281", name)
    # 9 statements: 4 of counted verbs, 5 read and ignored (no problem, no rejected row)
    assert (r["rows_read"], r["rows_loaded"], r["rows_rejected"]) == (4, 4, 0)
    assert r["problems"] == []
    assert r["ignored_statements"] == {"answered": 1, "attempted": 1, "viewed": 3}
    text = (keyed.inbox / "2281" / "receipts" / f"{name}.loaded.txt").read_text()
    assert "Ignorerade xAPI-satser" in text and "viewed 3" in text
    assert "Ignored xAPI statements" in text
    rows = _raw(keyed)
    by_row = {x["source_row"]: x for x in rows}
    course = by_row[5]
    assert course["course_code"] == "https://moodle.sundsvall.example/course/view.php?id=2"
    assert course["course_name"] == "Digital kompetens för medarbetare"  # sv-SE before en
    # 23:30+01:00 on 31 March 2025 is 00:30 on 1 April in Sweden (summer time): April
    assert str(course["completed_at"]) == "2025-04-01"
    book = by_row[6]
    assert book["course_code"] == "https://moodle.sundsvall.example/mod/book/view.php?id=2"
    assert book["course_code"] != course["course_code"]
    failed = by_row[7]
    assert (failed["status"], failed["completed"], failed["course_name"]) == (
        "failed",
        False,
        "Test: säker e-post",
    )
    attended = by_row[8]  # no timestamp: `stored` dates it
    assert (attended["status"], attended["completed"], attended["format"]) == (
        "completed",
        True,
        "workshop",
    )
    assert str(attended["completed_at"]) == "2025-04-03"
    assert all("198112189876" not in json.dumps(x, default=str) for x in rows)


def test_lrs_statement_result_document_is_accepted(keyed):
    name = "lrs_statements_page1.json"
    drop(keyed, "2262", "training", name, (REAL / name).read_bytes())
    ingest(keyed, progress=None)
    r = _receipt(keyed, "2262", name)
    assert (r["rows_read"], r["rows_loaded"], r["ignored_statements"]) == (1, 1, {"launched": 1})
    (row,) = _raw(keyed)
    assert row["status"] == "passed" and row["completed"] is True
    assert row["course_name"] == "Digital grundkurs"
    # 23:15Z on New Year's Eve is 00:15 on 1 January in Sweden
    assert str(row["completed_at"]) == "2026-01-01"


def test_an_export_of_only_browsing_loads_nothing_and_is_not_quarantined(keyed):
    statements = json.loads((REAL / "moodle_logstore_xapi.json").read_text())
    viewed = [s for s in statements if s["verb"]["id"].endswith("/viewed")] * 20
    drop(keyed, "2281", "training", "bara_visningar.json", json.dumps(viewed))
    ingest(keyed, progress=None)
    r = _receipt(keyed, "2281", "bara_visningar.json")
    assert r["status"] == "loaded" and r["rows_rejected"] == 0
    assert r["ignored_statements"] == {"viewed": 60}
