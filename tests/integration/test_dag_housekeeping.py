"""Archived originals are purged by a scheduled DAG after the retention period, and logged."""

from __future__ import annotations

import json
import os

from mognad.ingest.run import ingest
from mognad.stack import airflow_local as af
from tests.conftest import drop
from tests.unit.test_ingest import survey_csv


def test_housekeeping_dag_purges_old_archived_originals_and_logs_it(settings, monkeypatch):
    drop(settings, "2281", "survey", "s.csv", survey_csv())
    drop(settings, "2281", "survey", "trasig.csv", "Svars_id;Målgrupp\nr1;chef\n")
    ingest(settings, progress=None)
    archived = list(settings.archive.rglob("*s.csv"))
    quarantined = list(settings.quarantine.rglob("*trasig.csv"))
    assert len(archived) == 1 and len(quarantined) == 1
    raw_before = sorted(settings.raw.rglob("data.parquet"))

    monkeypatch.setenv("MOGNAD_ARCHIVE_RETENTION_DAYS", "0")
    af.setup(settings, progress=lambda _m: None)
    result = af.run_cli(settings, "dags", "test", "mognad_housekeeping", check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    state, tasks = af.last_run(settings, "mognad_housekeeping")
    assert state == "success" and tasks == {"purge_archive": "success"}

    assert not archived[0].exists()  # purged: its rows are safe in the raw zone
    assert all(p.exists() for p in quarantined)  # quarantine is never purged
    assert sorted(settings.raw.rglob("data.parquet")) == raw_before
    entries = [
        json.loads(line) for line in (settings.state / "purge_log.jsonl").read_text().splitlines()
    ]
    assert entries[-1]["deleted"] == 1 and entries[-1]["older_than_days"] == 0
    assert entries[-1]["files"][0].endswith("s.csv")
    assert os.environ["MOGNAD_ARCHIVE_RETENTION_DAYS"] == "0"


def test_housekeeping_keeps_young_files(settings, monkeypatch):
    from mognad.state.operations import purge_archive

    drop(settings, "2281", "survey", "s.csv", survey_csv())
    ingest(settings, progress=None)
    plan = purge_archive(settings, settings.archive_retention_days, apply=True)
    assert plan.delete == [] and len(plan.keep) == 1
    assert list(settings.archive.rglob("*s.csv"))
