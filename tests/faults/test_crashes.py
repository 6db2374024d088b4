"""Crashes: `mognad ingest` killed at every step (and at random moments), then rerun, ends
with the same ledger, raw zone, receipts and mart as a run that was never interrupted."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from mognad.ingest.run import FAULT_STEPS
from tests.conftest import drop, make_settings
from tests.faults.helpers import (
    REPO,
    cli_env,
    inbox_files,
    ledger_snapshot,
    pending,
    people,
    raw_snapshot,
    receipts,
    run_cli,
    survey_csv,
    training_csv,
)

KEY = {"MOGNAD_PSEUDONYM_KEY": "one key for every home in this module"}
VOLATILE = {"attempt_id", "received_at", "load_id"}


def deliver(settings, files: int = 6, rows: int = 5) -> None:
    """Loaded, duplicate and quarantined outcomes in one batch, in two municipalities."""
    drop(settings, "2281", "survey", "a.csv", survey_csv(6, prefix="a"))
    drop(settings, "2281", "survey", "b kopia.csv", survey_csv(6, prefix="a"))  # duplicate
    drop(settings, "2281", "survey", "c.csv", "Svars_id;F01\nr1;3\n")  # quarantined
    drop(settings, "2262", "training", "lms.csv", training_csv(people(12)))
    for i in range(max(0, files - 4)):
        drop(settings, "2262", "survey", f"d{i}.csv", survey_csv(rows + i, prefix=f"d{i}-"))


def receipt_snapshot(settings) -> list[tuple]:
    return sorted(
        tuple(sorted((k, repr(v)) for k, v in r.items() if k not in VOLATILE))
        for r in receipts(settings)
    )


def state(settings) -> dict:
    return {
        "ledger": ledger_snapshot(settings),
        "raw": raw_snapshot(settings),
        "receipts": receipt_snapshot(settings),
        "archive": sorted(p.name.split("__", 1)[1] for p in settings.archive.rglob("*__*")),
        "quarantine": sorted(p.name.split("__", 1)[1] for p in settings.quarantine.rglob("*__*")),
        "inbox": inbox_files(settings),
        "pending": pending(settings),
        "temp": sorted(str(p) for p in settings.home.rglob(".*") if "secrets" not in p.name),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ref") / "home")
    deliver(settings)
    res = run_cli(settings, "ingest", **KEY)
    assert res.returncode == 0, res.stdout + res.stderr
    return settings, state(settings)


@pytest.mark.parametrize("nth", [1, 3])
@pytest.mark.parametrize("step", FAULT_STEPS)
def test_ingest_killed_after_each_step_then_rerun_equals_uninterrupted(
    reference, tmp_path, step, nth
):
    settings = make_settings(tmp_path / "home")
    deliver(settings)
    res = run_cli(settings, "ingest", MOGNAD_FAULT_AFTER=f"{step}:{nth}", **KEY)
    assert res.returncode == 137, (step, res.stdout + res.stderr)
    assert inbox_files(settings)  # killed half-way: something is left for the rerun
    res = run_cli(settings, "ingest", **KEY)
    assert res.returncode == 0, res.stdout + res.stderr
    got = state(settings)
    want = reference[1]
    assert got["inbox"] == [] and got["pending"] == [] and got["temp"] == []
    for part in ("ledger", "raw", "receipts", "archive", "quarantine"):
        assert got[part] == want[part], (step, nth, part)
    statuses = [dict(r)["status"] for r in got["ledger"]]
    assert statuses.count("duplicate") == 1  # the file being finished is not its own duplicate


def test_ingest_sigkilled_at_random_moments_converges_and_builds_the_same_mart(reference, tmp_path):
    from mognad.build.run import build
    from tests.faults.helpers import mart_snapshot

    rng = random.Random(7)
    settings = make_settings(tmp_path / "home")
    deliver(settings, files=16, rows=300)
    ref = make_settings(tmp_path / "ref")
    deliver(ref, files=16, rows=300)
    started = time.monotonic()
    assert run_cli(ref, "ingest", **KEY).returncode == 0
    whole = time.monotonic() - started  # an uninterrupted run, start-up included
    kills = 0
    for attempt in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mognad.cli", "ingest"],
            cwd=REPO,
            env=cli_env(settings, **KEY),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # six runs killed at random moments, then one left to finish
            proc.wait(timeout=rng.uniform(0.3, 0.95 * whole) if attempt < 6 else 120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        if proc.returncode == 0 and not inbox_files(settings):
            break
    else:
        pytest.fail("ingest never completed")
    res = run_cli(settings, "ingest", **KEY)  # one more run changes nothing
    assert res.returncode == 0
    got, want = state(settings), state(ref)
    assert got["inbox"] == [] and got["pending"] == [] and got["temp"] == []
    for part in ("ledger", "raw", "receipts", "archive", "quarantine"):
        assert got[part] == want[part], part
    assert kills >= 2
    # the marts built from both agree (ids and timestamps aside)
    started = time.monotonic()
    build(settings)
    build(ref)
    assert mart_snapshot(settings.published_db) == mart_snapshot(ref.published_db)
    print(f"{kills} kills; two builds in {time.monotonic() - started:.0f} s")
