"""DAG policy: every DAG imports cleanly, has an owner, known tags, retries, catchup off,
and parses quickly (the parse time is measured and printed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mognad.config import PROJECT_DIR

DAGS = PROJECT_DIR / "dags"
sys.path.insert(0, str(DAGS))  # as Airflow does for its dags folder

from _mognad_defaults import KNOWN_TAGS, OWNER  # noqa: E402

EXPECTED = {
    "mognad_pipeline",
    "mognad_ingest",
    "mognad_build",
    "mognad_nightly",
    "mognad_housekeeping",
}
PARSE_BOUND_S = 10.0  # generous: a DAG file must never run dbt or touch the network


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    started = time.monotonic()
    bag = DagBag(dag_folder=str(DAGS))
    seconds = time.monotonic() - started
    print(f"\nDagBag: {len(bag.dags)} DAGs parsed in {seconds:.2f} s")
    return bag


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_policy(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.tags and set(dag.tags) <= KNOWN_TAGS, dag.tags
    assert "mognad" in dag.tags
    assert dag.max_active_runs == 1
    for t in dag.tasks:
        assert t.owner == OWNER, (t.task_id, t.owner)
        assert t.retries >= 1, (t.task_id, t.retries)


def test_dbt_and_warehouse_tasks_hold_the_one_slot_pool(dagbag):
    """Every task that runs dbt or writes DuckDB holds `mognad_warehouse`; the cosmos watcher's
    per-node sensors (they read XComs) and its no-op gateway do not."""
    from cosmos.operators._watcher.base import BaseConsumerSensor
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    build = dagbag.dags["mognad_build"]
    sensors = [t for t in build.tasks if isinstance(t, BaseConsumerSensor)]
    for t in build.tasks:
        light = t in sensors or t.task_type == "EmptyOperator"
        assert t.pool == ("default_pool" if light else "mognad_warehouse"), t.task_id
    dbt_tasks = [t for t in build.tasks if t.task_id.startswith("dbt")]
    assert dbt_tasks
    from mognad.config import load_settings
    from mognad.orchestration.build_tasks import dbt_tasks_mode, manifest_path

    if dbt_tasks_mode() == "watcher" and manifest_path(load_settings()).exists():
        producers = [t for t in build.tasks if isinstance(t, DbtProducerWatcherOperator)]
        assert len(producers) == 1 and producers[0].pool == "mognad_warehouse"
        assert len(sensors) > 20  # one per model and seed, one per model's tests
        assert all(not s.deferrable and s.poke_interval <= 2 for s in sensors)


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "watcher"),
        ("cosmos", "watcher"),
        ("watcher", "watcher"),
        ("LOCAL", "local"),
        ("single", "single"),
    ],
)
def test_dbt_tasks_mode(monkeypatch, value, mode):
    from mognad.orchestration.build_tasks import dbt_tasks_mode, use_cosmos

    if value is None:
        monkeypatch.delenv("MOGNAD_DBT_TASKS", raising=False)
    else:
        monkeypatch.setenv("MOGNAD_DBT_TASKS", value)
    assert dbt_tasks_mode() == mode
    assert use_cosmos() == (mode != "single")


def test_dbt_tasks_mode_rejects_unknown(monkeypatch):
    from mognad.orchestration.build_tasks import dbt_tasks_mode

    monkeypatch.setenv("MOGNAD_DBT_TASKS", "fast")
    with pytest.raises(ValueError, match="MOGNAD_DBT_TASKS"):
        dbt_tasks_mode()


@pytest.mark.parametrize("mode", ["local", "single"])
def test_build_dag_in_the_other_dbt_modes(mode, tmp_path):
    """`local`: one cosmos `dbt build` task per node; `single`: one task. All in the pool."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS / 'mognad_build.py')!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "dag = bag.dags['mognad_build']\n"
        "for t in dag.tasks: print(t.task_id, t.task_type, t.pool)\n"
    )
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        MOGNAD_DBT_TASKS=mode,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert out.returncode == 0, out.stderr[-2000:]
    tasks = [line.split() for line in out.stdout.splitlines() if line.count(" ") == 2]
    # every task that opens the DuckDB file is in the one-slot pool (cosmos renders the
    # ephemeral reporting helpers as EmptyOperators: they run nothing)
    assert all(pool == "mognad_warehouse" for _, kind, pool in tasks if kind != "EmptyOperator"), (
        tasks
    )
    assert any(kind != "EmptyOperator" for _, kind, _ in tasks), tasks
    dbt = [(tid, kind) for tid, kind, _ in tasks if tid.startswith("dbt.")]
    if mode == "local":
        built = [kind for _, kind in dbt if kind != "EmptyOperator"]  # ephemeral helpers
        assert len(built) > 20 and all(kind == "DbtBuildLocalOperator" for kind in built), dbt
    else:
        assert ["dbt"] == [tid for tid, _, _ in tasks if tid.startswith("dbt")]


def test_nightly_runs_at_two_stockholm_time(dagbag):
    nightly = dagbag.dags["mognad_nightly"]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from airflow.timetables.trigger import CronTriggerTimetable

    tt = nightly.timetable
    assert tt.expression == "0 2 * * *"
    core = CronTriggerTimetable(tt.expression, timezone=tt.timezone)
    stockholm = ZoneInfo("Europe/Stockholm")
    for month in (1, 7):  # winter (UTC+1) and summer time (UTC+2)
        after = datetime(2026, month, 1, 12, tzinfo=stockholm)
        local = core._get_next(after).astimezone(stockholm)
        assert (local.hour, local.minute) == (2, 0), local
    pull = nightly.get_task("pull")
    assert pull.pool == "mognad_http"
    assert pull.map_index_template


@pytest.mark.parametrize("path", sorted(DAGS.glob("mognad_*.py")), ids=lambda p: p.name)
def test_each_dag_file_parses_fast_in_a_fresh_interpreter(path: Path, tmp_path):
    """What the dag-processor pays per file (imports of Airflow itself excluded)."""
    code = (
        "import sys, time, runpy\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        "import airflow.sdk\n"
        "t = time.monotonic()\n"
        f"runpy.run_path({str(path)!r})\n"
        "print(f'{time.monotonic() - t:.3f}')\n"
    )
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path), AIRFLOW__COSMOS__ENABLE_TELEMETRY="False")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seconds = float(out.stdout.strip().splitlines()[-1])
    print(f"\n{path.name}: parsed in {seconds:.2f} s")
    assert seconds < PARSE_BOUND_S


def test_nightly_ends_with_the_inbox_health_check(dagbag):
    """The stale-inbox alarm runs after the rebuild whatever the rebuild's outcome."""
    dag = dagbag.dags["mognad_nightly"]
    health = dag.get_task("inbox_health")
    assert health.trigger_rule == "all_done"
    assert health.upstream_task_ids == {"rebuild"}
    assert health.downstream_task_ids == set()
