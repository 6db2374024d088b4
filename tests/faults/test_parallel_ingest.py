"""Many waiting files are taken by several processes, in batches made durable together.

The result must be the one a single process gives, and a worker killed half-way (its
batch written but not yet released) must be finished by the next run without loss or
double loads."""

from __future__ import annotations

import pytest

from mognad.ingest.inbox import PARALLEL_MIN_FILES
from tests.conftest import drop, make_settings
from tests.faults.helpers import hr_csv, people, run_cli, survey_csv, training_csv
from tests.faults.test_crashes import state

KEY = {"MOGNAD_PSEUDONYM_KEY": "one key for the parallel tests"}
CODES = ["2260", "2262", "2280", "2281", "2282", "2283", "2284", "2480"]


def deliver(settings) -> int:
    """Over PARALLEL_MIN_FILES files in 8 municipalities: loads, a duplicate per
    municipality, a quarantined file, training and HR."""
    n = 0
    staff = people(8)
    for code in CODES:
        for i in range(PARALLEL_MIN_FILES // len(CODES) + 2):
            drop(settings, code, "survey", f"s{i:03}.csv", survey_csv(3 + i % 4, prefix=f"{i}-"))
            n += 1
        drop(settings, code, "survey", "kopia.csv", survey_csv(3, prefix="0-"))  # duplicate
        drop(settings, code, "survey", "trasig.csv", "Svars_id;F01\nr1;3\n")  # quarantined
        drop(settings, code, "training", "lms.csv", training_csv(staff))
        drop(settings, code, "hr", "hr.csv", hr_csv(staff))
        n += 4
    return n


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("single") / "home")
    deliver(settings)
    res = run_cli(settings, "ingest", MOGNAD_INGEST_WORKERS="1", **KEY)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "processer/processes" not in res.stdout
    return state(settings)


def test_two_workers_give_what_one_process_gives(single, tmp_path):
    settings = make_settings(tmp_path / "home")
    files = deliver(settings)
    res = run_cli(settings, "ingest", MOGNAD_INGEST_WORKERS="2", **KEY)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{files} filer/files i/in 2 processer/processes" in res.stdout
    got = state(settings)
    assert got["inbox"] == [] and got["pending"] == [] and got["temp"] == []
    assert got == single
    statuses = [dict(r)["status"] for r in got["ledger"]]
    assert statuses.count("duplicate") == len(CODES)
    assert statuses.count("quarantined") == len(CODES)


@pytest.mark.parametrize("step", ["receipt:40", "unlink:3", "raw_write:70"])
def test_a_worker_killed_mid_batch_is_finished_by_the_next_run(single, tmp_path, step):
    settings = make_settings(tmp_path / "home")
    deliver(settings)
    res = run_cli(settings, "ingest", MOGNAD_INGEST_WORKERS="2", MOGNAD_FAULT_AFTER=step, **KEY)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "an ingest process died" in res.stdout
    res = run_cli(settings, "ingest", MOGNAD_INGEST_WORKERS="2", **KEY)
    assert res.returncode == 0, res.stdout + res.stderr
    got = state(settings)
    assert got["inbox"] == [] and got["pending"] == [] and got["temp"] == []
    for part in ("ledger", "raw", "receipts", "archive", "quarantine"):
        assert got[part] == single[part], (step, part)
