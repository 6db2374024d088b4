"""The worker protocol of parallel ingest (mognad/ingest/worker.py) with real processes.

A worker is a fresh interpreter (`python -m mognad.ingest.worker_main`): request on stdin,
report on stdout, progress on stderr. Anything else — an exit status other than 0, a
signal, an answer that is not a report — is a failure of that bucket, with its reason."""

from __future__ import annotations

import sys

import pytest

from mognad.ingest import worker as w
from mognad.ingest.inbox import _partition, candidates, parallel_min_files
from mognad.ingest.report import IngestReport
from mognad.ingest.run import ingest
from mognad.orchestration.ingest_task import IngestFailed, check_ingest, run_ingest_task
from tests.conftest import drop, make_settings
from tests.faults.helpers import hr_csv, people, run_cli, survey_csv, training_csv

CODES = ("2260", "2262", "2280")


def deliver(settings, codes=CODES, surveys: int = 3) -> int:
    staff = people(4)
    n = 0
    for code in codes:
        for i in range(surveys):
            drop(settings, code, "survey", f"s{i}.csv", survey_csv(3, prefix=f"{code}-{i}-"))
            n += 1
        drop(settings, code, "training", "lms.csv", training_csv(staff))
        drop(settings, code, "hr", "hr.csv", hr_csv(staff))
        n += 2
    return n


def inbox_files(settings) -> list:
    return sorted(p for p in settings.inbox.rglob("*") if p.is_file() and "receipts" not in p.parts)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "a key for the worker tests")
    monkeypatch.delenv("MOGNAD_FAULT_WORKER", raising=False)
    monkeypatch.delenv("MOGNAD_FAULT_AFTER", raising=False)
    settings = make_settings(tmp_path / "home")
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "a key for the worker tests")
    return settings


def test_the_threshold_is_settable_and_defaults_to_200(monkeypatch):
    monkeypatch.delenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", raising=False)
    assert parallel_min_files() == 200
    monkeypatch.setenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", "5")
    assert parallel_min_files() == 5
    monkeypatch.setenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", "many")
    assert parallel_min_files() == 200


def test_buckets_keep_each_municipality_whole_and_in_order(home, monkeypatch):
    deliver(home)
    found = candidates(home)
    monkeypatch.setenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", str(len(found) + 1))
    assert _partition(found, 2) == [found]
    monkeypatch.setenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", str(len(found)))
    buckets = _partition(found, 2)
    assert len(buckets) == 2
    assert sorted(map(str, (e for b in buckets for e in b))) == sorted(map(str, found))
    for bucket in buckets:
        codes = {c for c, _, _ in bucket}
        assert not codes & {c for b in buckets if b is not bucket for c, _, _ in b}
        assert bucket == [e for e in found if e[0] in codes]  # the run's order, kept


def test_workers_take_their_buckets_and_forward_progress(home, monkeypatch):
    n = deliver(home)
    buckets = _partition(candidates(home), 2, min_files=1)
    lines: list[str] = []
    results = w.run_buckets(home, buckets, now=9e9, progress=lines.append)
    assert [r.failure for r in results] == [None, None]
    reports = [r.report for r in results]
    assert all(isinstance(r, IngestReport) for r in reports)
    assert sum(len(r.outcomes) for r in reports) == n
    assert {o.status for r in reports for o in r.outcomes} == {"loaded"}
    assert inbox_files(home) == []
    assert sum(1 for line in lines if " loaded " in line) == n, lines
    assert not any(line.startswith(w.PROGRESS) for line in lines)


def run_one(home, command) -> w.BucketResult:
    buckets = [candidates(home)]
    lines: list[str] = []
    (result,) = w.run_buckets(home, buckets, now=9e9, progress=lines.append, command=command)
    result.lines = lines
    return result


def test_an_answer_that_is_not_a_report_is_a_failure(home):
    deliver(home, codes=CODES[:1])
    result = run_one(home, [sys.executable, "-c", "import sys; sys.stdin.read(); print('hej')"])
    assert result.report is None
    assert result.failure == "exit 0, answer does not start with the protocol marker"
    broken = "import sys; sys.stdin.read(); sys.stdout.buffer.write(%r + b'not a pickle')"
    result = run_one(home, [sys.executable, "-c", broken % w.MAGIC])
    assert result.failure == "exit 0, unreadable answer (UnpicklingError)"
    wrong = (
        "import pickle, sys; sys.stdin.read(); "
        "sys.stdout.buffer.write(%r + pickle.dumps({'not': 'a report'}))"
    )
    result = run_one(home, [sys.executable, "-c", wrong % w.MAGIC])
    assert result.failure == "exit 0, answer is a dict"


def test_a_worker_that_exits_non_zero_or_is_killed_is_a_failure_with_its_reason(home):
    deliver(home, codes=CODES[:1])
    crash = "import sys; sys.stdin.read(); raise SystemExit('trasig / broken disk')"
    result = run_one(home, [sys.executable, "-c", crash])
    assert result.failure == "exit 1: trasig / broken disk"
    assert "  [worker] trasig / broken disk" in result.lines
    killed = "import os, signal, sys; sys.stdin.read(); os.kill(os.getpid(), signal.SIGKILL)"
    result = run_one(home, [sys.executable, "-c", killed])
    assert result.failure == "signal SIGKILL"
    # one that dies before it reads its request at all
    result = run_one(home, [sys.executable, "-c", "raise SystemExit(3)"])
    assert result.failure == "exit 3"
    assert len(inbox_files(home)) == 5  # nothing was taken


def test_a_stray_print_in_a_worker_cannot_corrupt_its_answer(home):
    n = deliver(home, codes=CODES[:1])
    stray = (
        "import sys, mognad.ingest.run as m\n"
        "take = m._take_part\n"
        "def noisy(*a):\n"
        "    print('stray output', flush=True)\n"
        "    return take(*a)\n"
        "m._take_part = noisy\n"
        "from mognad.ingest import worker_main\n"
        "sys.exit(worker_main.main())\n"
    )
    result = run_one(home, [sys.executable, "-c", stray])
    assert result.failure is None, result.lines
    assert len(result.report.outcomes) == n
    assert "  [worker] stray output" in result.lines


def test_a_dying_worker_is_recorded_and_its_files_wait_for_the_next_run(home, monkeypatch):
    n = deliver(home)
    monkeypatch.setenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", "1")
    monkeypatch.setenv("MOGNAD_INGEST_WORKERS", "3")
    monkeypatch.setenv("MOGNAD_FAULT_WORKER", "2262")
    settings = make_settings(home.home)
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "a key for the worker tests")
    lines: list[str] = []
    report = ingest(settings, progress=lines.append)
    assert f"  {n} filer/files i/in 3 processer/processes" in lines
    assert len(report.failed) == 1
    assert "an ingest process died (exit 137); its files (2262) are kept" in report.failed[0]
    assert {o.municipality_code for o in report.outcomes} == {"2260", "2280"}
    left = inbox_files(settings)
    assert left and {p.relative_to(settings.inbox).parts[0] for p in left} == {"2262"}
    monkeypatch.delenv("MOGNAD_FAULT_WORKER")
    again = ingest(settings, progress=None)
    assert not again.failed and {o.municipality_code for o in again.outcomes} == {"2262"}
    assert inbox_files(settings) == []


def test_the_task_policy_raises_or_hands_the_problems_to_check(home, monkeypatch):
    """Without a pseudonym key training and HR are refused: the task fails; with outlet
    events (the event-driven DAG) the survey's event is emitted and `check` fails."""
    from airflow.sdk import AssetAlias
    from airflow.sdk.execution_time.context import OutletEventAccessors

    monkeypatch.delenv("MOGNAD_PSEUDONYM_KEY")
    no_key = home.secrets_file.with_name("no-key.env")
    kept = home.secrets_file.read_text().splitlines(keepends=True)
    no_key.write_text("".join(x for x in kept if not x.startswith("MOGNAD_PSEUDONYM_KEY=")))
    settings = make_settings(home.home, secrets_file=no_key)
    deliver(settings, codes=CODES[:1])
    with pytest.raises(IngestFailed, match="no pseudonym key"):
        run_ingest_task(settings=settings, progress=lambda _m: None)
    deliver(settings, codes=CODES[1:2])
    alias = AssetAlias("mognad_raw_loaded")
    events = OutletEventAccessors()
    result = run_ingest_task(events, alias, settings=settings, progress=lambda _m: None)
    assert result["feeds"] == ["survey"]
    added = [e.dest_asset_key.name for e in events[alias].asset_alias_events]
    assert added == ["mognad_raw_survey"]
    with pytest.raises(IngestFailed, match="no pseudonym key"):
        check_ingest(result)
    assert check_ingest({**result, "problems": []}).startswith("ok:")


def test_the_cli_exits_non_zero_with_one_line_of_reason(home):
    deliver(home, codes=CODES[:1])
    res = run_cli(home, "ingest", MOGNAD_FAULT_WORKER="2260", MOGNAD_INGEST_PARALLEL_MIN_FILES="1")
    assert res.returncode == 0, res.stdout + res.stderr  # one municipality: no workers
    deliver(home, codes=CODES[:2])
    res = run_cli(
        home,
        "ingest",
        MOGNAD_FAULT_WORKER="2260",
        MOGNAD_INGEST_PARALLEL_MIN_FILES="1",
        MOGNAD_INGEST_WORKERS="2",
    )
    assert res.returncode == 1, res.stdout + res.stderr
    last = res.stdout.strip().splitlines()[-1]
    assert last.startswith("mognad ingest misslyckades / failed: en ingest-process avbröts")
    assert "an ingest process died (exit 137)" in last
    deliver(home, codes=CODES[2:])  # two municipalities wait again: two workers
    res = run_cli(
        home,
        "run",
        MOGNAD_FAULT_WORKER="2260",
        MOGNAD_INGEST_PARALLEL_MIN_FILES="1",
        MOGNAD_INGEST_WORKERS="2",
    )
    assert res.returncode == 1 and "an ingest process died" in res.stdout.splitlines()[-1]


def test_every_dag_that_ingests_runs_the_one_ingest_task():
    from tests.conftest import REPO

    dags = REPO / "dags"
    for name in ("mognad_pipeline.py", "mognad_ingest.py", "mognad_nightly.py"):
        text = (dags / name).read_text(encoding="utf-8")
        assert "run_ingest_task(" in text, name
        assert "from mognad.ingest" not in text, name  # no second way to ingest
    event_driven = (dags / "mognad_ingest.py").read_text(encoding="utf-8")
    assert "run_ingest_task(outlet_events=outlet_events, alias=raw_loaded)" in event_driven
    assert "check(ingest())" in event_driven
