"""The scale-out configuration for real: PostgreSQL metadata (a fresh database per run),
CeleryExecutor on Redis, api-server, scheduler, dag-processor, triggerer and two Celery
workers as separate processes; one dropped file reaches the published mart."""

from __future__ import annotations

import secrets
import time

import pytest

from mognad.stack import airflow_local as af
from tests.conftest import make_settings
from tests.support import live

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PG = dict(host="127.0.0.1", port=5432, user="postgres")
MUNICIPALITY = "2260"
WAIT_BOUND = 300


def _services_up() -> str | None:
    import psycopg2
    import redis

    try:
        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG).close()
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    return None


@pytest.fixture
def postgres_db():
    import psycopg2

    problem = _services_up()
    if problem:
        pytest.skip(f"PostgreSQL/Redis on 127.0.0.1 not reachable: {problem}")
    name = f"mognad_af_{secrets.token_hex(4)}"
    con = psycopg2.connect(dbname="postgres", **PG)
    con.autocommit = True
    con.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        cur = con.cursor()
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.close()


def test_celery_cluster_publishes_a_dropped_file(tmp_path, postgres_db, artifacts):
    import redis

    settings = make_settings(tmp_path / "home", settle_seconds=3.0)
    live.publish_once(settings, [MUNICIPALITY])
    before = live.mart_state(settings)
    assert before is not None

    redis_db = 9 + secrets.randbelow(6)  # 9–14: away from the default 0
    broker = f"redis://127.0.0.1:6379/{redis_db}"
    port = live.free_port()
    env = af.cluster_env(settings, port, postgres_db, broker)
    af.setup(settings, progress=print, port=port, env=env)
    # one dbt task: the two workers would only queue behind the one-slot pool anyway
    extra = {"MOGNAD_DBT_TASKS": "single"}
    started = time.monotonic()
    procs = live.start_cluster(settings, port, postgres_db, broker, extra_env=extra)
    try:
        af.wait_healthy(port, timeout=180)
        api = live.unpause_event_dags(settings, port)
        print(f"cluster up, DAGs unpaused: {time.monotonic() - started:.0f} s")
        dead = [(n, p.returncode) for n, p in procs if p.poll() is not None]
        assert not dead, dead

        dropped = live.drop_file(settings, live.survey_file(MUNICIPALITY, seed=99), MUNICIPALITY)
        after, seconds = live.wait_mart_change(settings, before, timeout=WAIT_BOUND)
        print(f"drop → published on Celery: {seconds:.1f} s")
        assert after.respondents != before.respondents
        assert not dropped.exists()

        hosts = set()
        for dag_id in af.EVENT_DAG_IDS:
            runs = api.runs_after_success(dag_id)
            assert any(r["state"] == "success" for r in runs), (dag_id, runs)
            for run in runs:
                tis = api.call("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")
                hosts |= {t.get("hostname") for t in tis["task_instances"] if t.get("hostname")}
        print(f"tasks ran on: {sorted(hosts)}")
        assert hosts, "no task reported a Celery worker"
    finally:
        for _, proc in reversed(procs):
            live.stop_tree(proc, timeout=20)
        redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
        for name, _ in procs:
            log = settings.airflow_home / f"{name}.log"
            if log.exists():
                (artifacts / f"celery-{name}.log").write_bytes(log.read_bytes()[-200_000:])
