"""Event-driven, for real: `airflow standalone` runs; a municipality drops a survey file;
the AssetWatcher wakes `mognad_ingest`, its Asset events run `mognad_build` (cosmos watcher:
one `dbt build`, a sensor task per node), and the published mart changes — with no human
action."""

from __future__ import annotations

import time

import pytest

from mognad.stack import airflow_local as af
from tests.conftest import make_settings
from tests.support import live

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

MUNICIPALITIES = ("2260", "2262")  # Ånge, Timrå: tiny and quick
WAIT_BOUND = 360  # a generous bound on drop → published, not a timing


def test_dropped_file_reaches_the_published_mart(tmp_path, artifacts):
    settings = make_settings(tmp_path / "home", settle_seconds=3.0)
    live.publish_once(settings, MUNICIPALITIES)
    before = live.mart_state(settings)
    assert before is not None and before.rows > 0

    port = live.free_port()
    af.setup(settings, progress=print, port=port)
    started = time.monotonic()
    proc = live.start_event_driven(settings, port)
    try:
        print(f"airflow standalone healthy, DAGs unpaused: {time.monotonic() - started:.0f} s")
        new = live.survey_file(MUNICIPALITIES[0], seed=77)
        dropped = live.drop_file(settings, new, MUNICIPALITIES[0])
        after, seconds = live.wait_mart_change(settings, before, timeout=WAIT_BOUND)
        print(f"drop → published: {seconds:.1f} s ({before} → {after})")
        assert after.respondents != before.respondents
        assert not dropped.exists()  # ingest took it (the trigger never touches files)
        receipts = list((settings.inbox / MUNICIPALITIES[0] / "receipts").glob(f"{dropped.name}*"))
        assert receipts, "the municipality got no receipt"

        api = af.Api(settings, port)
        for dag_id in af.EVENT_DAG_IDS:
            runs = api.runs_after_success(dag_id)
            assert any(r["state"] == "success" for r in runs), (dag_id, runs)
            assert all(r["run_type"] == "asset_triggered" for r in runs), runs
        run = api.call("GET", f"/dags/{af.BUILD_DAG_ID}/dagRuns")["dag_runs"][0]
        tis = api.call(
            "GET",
            f"/dags/{af.BUILD_DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances",
            params={"limit": 200},  # the default page is 50 tasks
        )["task_instances"]
        dbt_tasks = [t for t in tis if t["task_id"].startswith("dbt.")]
        print(f"mognad_build: {len(tis)} tasks, {len(dbt_tasks)} cosmos dbt tasks")
        assert len(dbt_tasks) > 5 and all(t["state"] == "success" for t in dbt_tasks), dbt_tasks
        # watcher (the default): the one `dbt build` holds the warehouse pool, the per-node
        # sensors do not; every other task of the run holds it
        producer = [t for t in dbt_tasks if t["task_id"] == "dbt.dbt_producer_watcher"]
        assert [t["pool"] for t in producer] == ["mognad_warehouse"]
        others = [t for t in tis if not t["task_id"].startswith("dbt.")]
        assert {"prepare", "dbt_done", "validate", "publish"} <= {t["task_id"] for t in others}
        assert all(t["pool"] == "mognad_warehouse" for t in others), others
    finally:
        live.stop_tree(proc)
        log = settings.airflow_home / "standalone.log"
        if log.exists():
            (artifacts / "event-driven-standalone.log").write_bytes(log.read_bytes()[-400_000:])
