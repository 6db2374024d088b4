"""Incremental builds: a new file reads only its own load, and gives the same marts as a
full rebuild from the raw zone (`mognad build --full`)."""

from __future__ import annotations

import json
import shutil
import time

import duckdb
from mart_snapshot import snapshot

from mognad.build.run import build
from mognad.ingest.run import ingest


def test_new_file_is_read_alone_and_full_rebuild_gives_identical_marts(demo_build):
    settings = demo_build.settings
    kod = demo_build.inbox_path.parent.parent.name
    before = snapshot(settings.published_db)

    # The held-back file arrives: ingest it and build incrementally.
    shutil.copy(demo_build.held_back, demo_build.inbox_path)
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 1
    started = time.monotonic()
    result = build(settings)
    demo_build.timings["incremental build (one new file)"] = time.monotonic() - started
    assert not result.dbt.full_refresh
    assert result.prepared.batches_checked == 1 and not result.prepared.batches_failed

    # The incremental run read only the new load's Parquet file, in survey staging; the
    # other feeds had no new loads, so their staging models and everything downstream of
    # them only were not run at all, nor re-tested. The marts the joint disclosure control
    # protects in place are the exception: rebuilt every time from their (unchanged)
    # inputs, so that the protection starts where a full build starts.
    target = settings.build_db.parent / "dbt" / "target"
    run_sql = target / "compiled" / "mognad" / "models"
    survey_sql = (run_sql / "staging" / "survey" / "stg_survey__answers.sql").read_text()
    assert survey_sql.count("data.parquet") == 1
    assert f"municipality_code={kod}" in survey_sql
    ran = {r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    assert "model.mognad.stg_survey__answers" in ran
    assert "model.mognad.int_maturity__cells" in ran and "model.mognad.ingest_log" in ran
    for other in ("stg_hr__employments", "stg_training__events", "int_hr__snapshot_persons"):
        assert f"model.mognad.{other}" not in ran
    assert "model.mognad.fct_training_coverage" in ran  # protected in place: always rebuilt
    assert result.dbt.skipped_feeds == ("training", "hr", "plan", "kolada")
    # int_maturity__cells recomputed only the municipality with the new load.
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        loads = dict(
            con.execute(
                "select municipality_code, count(distinct load_id) "
                "from staging.stg_survey__answers "
                "group by all"
            ).fetchall()
        )
        cells = dict(
            con.execute(
                "select municipality_code, max(survey_loads) from intermediate.int_maturity__cells "
                "group by all"
            ).fetchall()
        )
    finally:
        con.close()
    assert cells == loads

    incremental = snapshot(settings.published_db)
    assert incremental != before  # the new wave shows up
    assert result.rows["fct_maturity"] > len(before["fct_maturity"])

    started = time.monotonic()
    full = build(settings, full=True)
    demo_build.timings["full build"] = time.monotonic() - started
    assert full.dbt.full_refresh
    rebuilt = snapshot(settings.published_db)

    assert list(rebuilt) == list(incremental)
    for table in rebuilt:
        assert rebuilt[table] == incremental[table], table
    print("timings:", {k: f"{v:.1f} s" for k, v in demo_build.timings.items()})
