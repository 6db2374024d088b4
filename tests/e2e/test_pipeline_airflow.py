"""The demo pipeline through real Airflow: ingest → dbt → Great Expectations → publish."""

from __future__ import annotations

import json

import duckdb
import pytest

from mognad.contract.reference import VASTERNORRLAND

pytestmark = pytest.mark.e2e


def test_dag_run_succeeds_with_every_task(pipeline_run):
    from mognad.stack import airflow_local as af

    out = pipeline_run.result.stdout + pipeline_run.result.stderr
    assert pipeline_run.result.returncode == 0, out[-4000:]
    state, tasks = af.last_run(pipeline_run.settings)
    assert state == "success", tasks
    assert tasks == {t: "success" for t in ("ingest", "build", "validate", "publish")}
    print(f"airflow dags test: {pipeline_run.seconds:.1f} s")


def test_every_dropped_file_has_one_receipt_and_left_the_inbox(pipeline_run):
    settings = pipeline_run.settings
    dropped = pipeline_run.summary.files
    receipts = list(settings.inbox.glob("*/receipts/*.json"))
    assert len(receipts) == len(dropped)
    statuses = [json.loads(p.read_text(encoding="utf-8"))["status"] for p in receipts]
    assert statuses.count("quarantined") == len(pipeline_run.summary.unreadable) == 1
    left = [p for p in settings.inbox.rglob("*") if p.is_file() and "receipts" not in p.parts]
    assert left == []


def test_planted_bad_rows_are_reported_in_receipts(pipeline_run):
    settings = pipeline_run.settings
    for bad in pipeline_run.summary.bad:
        if bad.row is None:
            continue
        name = bad.file.rsplit("/", 1)[-1]
        receipt = settings.inbox / bad.municipality_code / "receipts" / f"{name}.loaded.json"
        problems = json.loads(receipt.read_text(encoding="utf-8"))["problems"]
        assert any(p["row"] == bad.row and p["column"] == bad.column.strip() for p in problems), (
            bad,
            problems,
        )


def test_published_mart_holds_the_maturity_index_for_every_municipality(published_home):
    con = duckdb.connect(str(published_home.published_db), read_only=True)
    try:
        schemas = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_schema FROM information_schema.tables"
            ).fetchall()
        }
        assert schemas == {"marts", "reporting"}
        assert con.execute("SELECT count(*) FROM marts.dim_municipality").fetchone()[0] == 290
        # the raw-batch quality gate ran inside the DAG: every loaded file was checked
        checked, passed = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE success) FROM marts.fct_batch_checks"
        ).fetchone()
        loaded = con.execute(
            "SELECT count(*) FROM marts.ingest_log WHERE status = 'loaded'"
        ).fetchone()[0]
        assert checked == loaded > 0 and passed == checked
        rows = con.execute(
            """
            SELECT municipality_code, wave, score_pct FROM marts.fct_maturity
            WHERE instrument = 'dimios' AND target_group = 'alla'
              AND dimension = 'alla' AND category = 'alla'
            ORDER BY 1, 2
            """
        ).fetchall()
    finally:
        con.close()
    assert {r[0] for r in rows} == set(VASTERNORRLAND)
    assert {r[1] for r in rows} == {2024, 2025, 2026}
    assert all(r[2] is not None and 0 <= r[2] <= 100 for r in rows)
    by_code = {}
    for code, wave, score in rows:
        by_code.setdefault(code, {})[wave] = score
    improved = [c for c, s in by_code.items() if s[2026] > s[2024]]
    assert len(improved) >= 5, by_code  # the demo programme works in most municipalities
