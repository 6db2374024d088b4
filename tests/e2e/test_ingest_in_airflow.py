"""Ingest inside real Airflow tasks: `airflow standalone` (LocalExecutor), the event-driven
`mognad_ingest` DAG woken by its inbox watcher, on both sides of the worker threshold.

`airflow dags test` would not do: it runs tasks in its own process, outside the task
sandbox, where the old `multiprocessing` spawn workers happened to work. Here each task runs
in the supervisor's task process, with the metadata-database URL it refuses connections on,
which is where spawn children died at import while the task ended "success".

One standalone serves every case, one after the other. Each delivery is written to a
staging folder and renamed into place as the whole inbox at once, so the watcher sees it in
one scan and one DAG run takes it (nothing half-written is ever seen).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from mognad.ingest.inbox import PARALLEL_MIN_FILES
from mognad.orchestration.names import raw_feed_asset_name
from mognad.stack import airflow_local as af
from tests.conftest import make_settings
from tests.support import live

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

DYING = "0114"  # Upplands Väsby: only the dying-worker case delivers it
RUN_BOUND = 420  # a generous bound on delivery → finished run, not a timing


class Platform:
    def __init__(self, settings, port: int, proc, api: af.Api):
        self.settings = settings
        self.port = port
        self.proc = proc
        self.api = api
        self.deliveries = 0

    def run_ids(self) -> set[str]:
        runs = self.api.call("GET", f"/dags/{af.INGEST_DAG_ID}/dagRuns", params={"limit": 100})[
            "dag_runs"
        ]
        return {r["dag_run_id"] for r in runs}

    def deliver(self, municipalities=None, seed: int = 2024, scale: float = 0.05) -> list[Path]:
        """Demo files (default: the demo's seven municipalities), swapped in as the whole
        inbox; the files' paths in the inbox."""
        from mognad.demo.generate import generate

        self.deliveries += 1
        home = self.settings.home
        staging = home / f"staging-{self.deliveries}"
        chosen = {"municipalities": municipalities} if municipalities else {}
        summary = generate(staging, seed=seed, scale=scale, **chosen)
        inbox = self.settings.inbox
        if inbox.exists():
            os.replace(inbox, home / f"taken-{self.deliveries}")
        os.replace(staging, inbox)
        return [inbox / p.relative_to(staging) for p in summary.files]

    def wait_new_run(self, before: set[str], timeout: float = RUN_BOUND) -> dict:
        """The one new run of mognad_ingest, once it has finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.api.call("GET", f"/dags/{af.INGEST_DAG_ID}/dagRuns", params={"limit": 100})[
                "dag_runs"
            ]
            new = [r for r in runs if r["dag_run_id"] not in before]
            if new and all(r["state"] in ("success", "failed") for r in new):
                assert len(new) == 1, new  # one swap, one scan, one run
                return new[0]
            time.sleep(2)
        raise TimeoutError(f"no finished mognad_ingest run within {timeout:.0f} s")

    def tasks(self, run_id: str) -> dict[str, str]:
        tis = self.api.call("GET", f"/dags/{af.INGEST_DAG_ID}/dagRuns/{run_id}/taskInstances")[
            "task_instances"
        ]
        return {t["task_id"]: t["state"] for t in tis}

    def log(self, run_id: str, task_id: str) -> str:
        """Every attempt's log of a task in a run, as Airflow wrote it."""
        parts = []
        for path in sorted((self.settings.airflow_home / "logs").rglob("attempt=*.log")):
            text = str(path)
            if (
                f"dag_id={af.INGEST_DAG_ID}" in text
                and f"run_id={run_id}" in text
                and f"task_id={task_id}" in text
            ):
                parts.append(path.read_text(encoding="utf-8", errors="replace"))
        assert parts, (run_id, task_id)
        return "\n".join(parts)

    def result(self, run_id: str) -> dict:
        """What the run's ingest task returned (its XCom)."""
        import ast

        value = self.api.call(
            "GET",
            f"/dags/{af.INGEST_DAG_ID}/dagRuns/{run_id}/taskInstances/ingest/xcomEntries/"
            "return_value",
            params={"deserialize": "true"},
        )["value"]
        return ast.literal_eval(value) if isinstance(value, str) else value

    def events(self, run_id: str) -> dict[str, dict]:
        """Asset events the run's ingest task emitted, by asset name."""
        got = self.api.call(
            "GET",
            "/assets/events",
            params={"source_dag_id": af.INGEST_DAG_ID, "source_run_id": run_id, "limit": 100},
        )["asset_events"]
        names = {}
        for e in got:
            name = e.get("name") or e.get("uri")
            names[name] = e
        return names


@pytest.fixture(scope="module")
def platform(tmp_path_factory, artifacts):
    settings = make_settings(tmp_path_factory.mktemp("ingest-airflow") / "home")
    port = live.free_port()
    with pytest.MonkeyPatch.context() as mp:
        # two workers whatever the machine, the real threshold, and one municipality whose
        # worker dies (fault injection, tests only)
        mp.setenv("MOGNAD_INGEST_WORKERS", "2")
        mp.delenv("MOGNAD_INGEST_PARALLEL_MIN_FILES", raising=False)
        mp.setenv("MOGNAD_FAULT_WORKER", DYING)
        af.setup(settings, progress=print, port=port)
        proc = af.start_standalone(settings, port)
    try:
        af.wait_healthy(port, timeout=240, proc=proc)
        api = af.Api(settings, port)
        api.wait_for_dag(af.INGEST_DAG_ID, timeout=240)
        # only the ingest DAG: mognad_build stays paused (its runs are not under test)
        api.call("PATCH", f"/dags/{af.INGEST_DAG_ID}", json={"is_paused": False})
        af.activate_watchers(api, timeout=240)
        yield Platform(settings, port, proc, api)
    finally:
        live.stop_tree(proc)
        log = settings.airflow_home / "standalone.log"
        if log.exists():
            (artifacts / "ingest-in-airflow-standalone.log").write_bytes(
                log.read_bytes()[-400_000:]
            )
        logs = settings.airflow_home / "logs"
        if logs.exists():
            shutil.copytree(logs, artifacts / "ingest-in-airflow-logs", dirs_exist_ok=True)


def receipts_for(files: list[Path]) -> list[Path]:
    missing = []
    for f in files:
        folder = f.parents[1] / "receipts"
        if not list(folder.glob(f"{f.name}*.json")):
            missing.append(f)
    return missing


def assert_all_taken(files: list[Path]) -> None:
    left = [f for f in files if f.exists()]
    assert not left, f"{len(left)} files still in the inbox, e.g. {left[:3]}"
    missing = receipts_for(files)
    assert not missing, f"{len(missing)} files without a receipt, e.g. {missing[:3]}"


def test_below_the_threshold_one_process_takes_every_file(platform):
    before = platform.run_ids()
    files = platform.deliver(["2260", "2280"], seed=11)
    assert len(files) < PARALLEL_MIN_FILES
    run = platform.wait_new_run(before)
    assert run["state"] == "success", (
        platform.tasks(run["dag_run_id"]),
        platform.log(run["dag_run_id"], "ingest")[-3000:],
    )
    result = platform.result(run["dag_run_id"])
    assert result["workers"] == 1 and result["problems"] == [], result
    assert result["loaded"] + result["quarantined"] + result["duplicates"] == len(files)
    assert_all_taken(files)
    events = platform.events(run["dag_run_id"])
    assert {raw_feed_asset_name(f) for f in ("survey", "training", "hr")} <= set(events)


def test_above_the_threshold_workers_take_every_file_at_the_demo_default(platform):
    """The README's demo at its default size (455 files, scale 1.0) in one task."""
    before = platform.run_ids()
    started = time.monotonic()
    files = platform.deliver(seed=2024, scale=1.0)
    assert len(files) > PARALLEL_MIN_FILES
    run = platform.wait_new_run(before)
    print(f"{len(files)} files: delivery → run finished {time.monotonic() - started:.0f} s")
    assert run["state"] == "success", (
        platform.tasks(run["dag_run_id"]),
        platform.log(run["dag_run_id"], "ingest")[-3000:],
    )
    result = platform.result(run["dag_run_id"])
    assert result["workers"] == 2 and result["problems"] == [], result
    assert result["loaded"] + result["quarantined"] + result["duplicates"] == len(files)
    assert_all_taken(files)


def test_a_dying_worker_fails_the_run_and_the_other_workers_events_survive(platform):
    before = platform.run_ids()
    codes = [DYING, "2260", "2262", "2280"]
    files = platform.deliver(codes, seed=31)
    assert len(files) > PARALLEL_MIN_FILES
    run = platform.wait_new_run(before)
    run_id = run["dag_run_id"]
    tasks = platform.tasks(run_id)
    assert run["state"] == "failed", tasks
    assert tasks["ingest"] == "success", tasks  # its events are recorded only on success
    assert tasks["check"] == "failed", tasks
    check_log = platform.log(run_id, "check")
    assert "an ingest process died (exit 137)" in check_log, check_log[-3000:]
    assert DYING in check_log
    # the dead worker's bucket (its municipalities are named in the reason) waits for the
    # next run; the other worker's files were all taken
    (reason,) = platform.result(run_id)["problems"]
    dead = set(re.search(r"its files \(([^)]*)\)", reason).group(1).split(", "))
    assert DYING in dead and len(dead) < len(codes), reason
    in_dead = [f for f in files if f.relative_to(platform.settings.inbox).parts[0] in dead]
    others = [f for f in files if f not in in_dead]
    assert all(f.exists() for f in in_dead)
    assert others
    assert_all_taken(others)
    events = platform.events(run_id)
    assert raw_feed_asset_name("survey") in events, events
    assert json.dumps(events)  # printable for the log
    print({k: v.get("extra") for k, v in events.items()})


def test_a_refused_feed_fails_the_run_and_the_loaded_feeds_events_survive(platform):
    secrets = platform.settings.secrets_file
    kept = secrets.read_text(encoding="utf-8")
    secrets.write_text(
        "".join(
            line
            for line in kept.splitlines(keepends=True)
            if not line.startswith("MOGNAD_PSEUDONYM_KEY=")
        ),
        encoding="utf-8",
    )
    try:
        before = platform.run_ids()
        files = platform.deliver(["2262"], seed=41)
        run = platform.wait_new_run(before)
    finally:
        secrets.write_text(kept, encoding="utf-8")
    run_id = run["dag_run_id"]
    tasks = platform.tasks(run_id)
    assert run["state"] == "failed", tasks
    assert tasks["ingest"] == "success" and tasks["check"] == "failed", tasks
    check_log = platform.log(run_id, "check")
    assert "no pseudonym key" in check_log, check_log[-3000:]
    surveys = [f for f in files if f.parent.name == "survey"]
    keyed = [f for f in files if f.parent.name in ("training", "hr")]
    assert_all_taken(surveys)
    assert keyed and all(f.exists() for f in keyed)
    events = platform.events(run_id)
    assert raw_feed_asset_name("survey") in events, events
    assert raw_feed_asset_name("hr") not in events
