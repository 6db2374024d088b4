"""Nightly at 02:00 Europe/Stockholm: pull every HTTP source (one mapped task per source,
pool `mognad_http`, retries), fail only past a threshold of failed sources, then a full
rebuild and publish; last, a health check that fails when files wait in an inbox longer than
MOGNAD_STALE_INBOX_MINUTES."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _mognad_defaults import DEFAULT_ARGS, HTTP_POOL, WAREHOUSE_POOL
from airflow.sdk import Asset, CronTriggerTimetable, dag, task

from mognad.orchestration.names import PUBLISHED_ASSET_NAME


@dag(
    dag_id="mognad_nightly",
    description="Hämta alla HTTP-källor och bygg om allt, varje natt 02:00",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="Europe/Stockholm"),
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["mognad", "nightly"],
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    doc_md=__doc__,
)
def mognad_nightly():
    @task
    def sources() -> list[dict]:
        from mognad.config import load_settings
        from mognad.orchestration.nightly import source_list

        found = source_list(load_settings())
        print(f"{len(found)} HTTP-källor / sources")
        return found

    @task(
        pool=HTTP_POOL,
        retries=3,
        retry_delay=timedelta(minutes=2),
        map_index_template="{{ source_label }}",
    )
    def pull(source: dict) -> dict:
        from airflow.sdk import get_current_context

        from mognad.config import load_settings

        # the mapped task's name in the UI: "<kommunkod> <feed> (<id>)"
        where = source["municipality_code"] or "flera kommuner"
        get_current_context()["source_label"] = f"{where} {source['feed']} ({source['id']})"
        from mognad.orchestration.nightly import pull_one

        return pull_one(load_settings(), source["id"])

    @task(trigger_rule="all_done")
    def check_pulls(all_sources: list[dict], results) -> str:
        from mognad.orchestration.nightly import verdict

        ok = [r["source"] for r in (results or []) if r and r.get("ok")]
        v = verdict([s["id"] for s in all_sources], ok)
        print(v.summary())
        if not v.ok:
            raise RuntimeError(v.summary())
        return v.summary()

    @task(pool=WAREHOUSE_POOL, retries=1, outlets=[Asset(name=PUBLISHED_ASSET_NAME)])
    def rebuild() -> str:
        from mognad.orchestration.build_tasks import full_build
        from mognad.orchestration.ingest_task import run_ingest_task

        run_ingest_task()  # the pulled files wait in the inbox; raises when one is not taken
        return full_build()

    @task(trigger_rule="all_done")
    def inbox_health() -> str:
        """Fails, naming the files, when settled files still wait in an inbox after
        MOGNAD_STALE_INBOX_MINUTES: runs whether or not the rebuild succeeded."""
        from mognad.config import load_settings
        from mognad.orchestration.nightly import inbox_health as check

        return check(load_settings())

    listed = sources()
    pulled = pull.expand(source=listed)
    check_pulls(listed, pulled) >> rebuild() >> inbox_health()


mognad_nightly()
