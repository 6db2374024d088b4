"""Incremental builds: a new file reads only its own load, and gives the same marts as a
full rebuild from the raw zone (`mognad build --full`)."""

from __future__ import annotations

import shutil
import time

from mart_snapshot import snapshot

from mognad.build import build
from mognad.ingest import ingest


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

    # The incremental run read only the new load's Parquet file, in survey staging, and
    # no file at all in the other feeds.
    run_sql = settings.build_db.parent / "dbt" / "target" / "compiled" / "mognad" / "models"
    survey_sql = (run_sql / "staging" / "survey" / "stg_survey__answers.sql").read_text()
    assert survey_sql.count("data.parquet") == 1
    assert f"municipality_code={kod}" in survey_sql
    for other in ("hr/stg_hr__employments.sql", "training/stg_training__events.sql"):
        assert "data.parquet" not in (run_sql / "staging" / other).read_text()

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
