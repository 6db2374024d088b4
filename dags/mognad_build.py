"""Data-aware build: whenever ingest loaded any feed, rebuild the marts and publish.

prepare (export the ingest log, raw-batch checks) → dbt via cosmos (prebuilt manifest, one
task per node, one-slot pool `mognad_warehouse`) → Great Expectations → atomic publish."""

from __future__ import annotations

from functools import reduce
from operator import or_

from _mognad_defaults import DEFAULT_ARGS, START_DATE, WAREHOUSE_POOL
from airflow.sdk import Asset, dag, task

from mognad.orchestration import build_tasks
from mognad.orchestration.names import PUBLISHED_ASSET_NAME, RAW_FEEDS, raw_feed_asset_name

any_feed_loaded = reduce(or_, (Asset(name=raw_feed_asset_name(f)) for f in RAW_FEEDS))


@dag(
    dag_id="mognad_build",
    description="Bygg, validera och publicera marterna när nya data lästs in",
    schedule=any_feed_loaded,
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["mognad", "build"],
    max_active_runs=1,
    doc_md=__doc__,
)
def mognad_build():
    @task(pool=WAREHOUSE_POOL)
    def prepare() -> str:
        return build_tasks.prepare()

    @task(pool=WAREHOUSE_POOL)
    def protect() -> str:
        return build_tasks.protect()

    @task(pool=WAREHOUSE_POOL)
    def validate() -> str:
        return build_tasks.validate()

    @task(pool=WAREHOUSE_POOL, outlets=[Asset(name=PUBLISHED_ASSET_NAME)])
    def publish() -> str:
        return build_tasks.publish()

    dbt_first, dbt_last = build_tasks.dbt_group(WAREHOUSE_POOL)
    prepare() >> dbt_first
    dbt_last >> protect() >> validate() >> publish()


mognad_build()
