"""Ingest → dbt build → Great Expectations → publish. Thin: every task calls `mognad`."""

from __future__ import annotations

from datetime import datetime

from _mognad_defaults import DEFAULT_ARGS, TAGS, WAREHOUSE_POOL
from airflow.sdk import dag, task


@dag(
    dag_id="mognad_pipeline",
    description="Läs in leveranser, bygg, validera och publicera marterna",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=TAGS,
    max_active_runs=1,
    doc_md=__doc__,
)
def mognad_pipeline():
    @task
    def ingest() -> dict:
        from mognad.orchestration.ingest_task import run_ingest_task

        return run_ingest_task()  # raises when a file was not taken (docs/orchestration.md)

    @task(pool=WAREHOUSE_POOL)
    def build() -> str:
        from mognad.build.dbt import run_dbt
        from mognad.build.gate import prepare_build
        from mognad.config import load_settings

        settings = load_settings()
        prepared = prepare_build(settings)  # ingest log + the raw-batch quality gate
        run_dbt(settings)
        from mognad.orchestration.build_tasks import protect

        protected = protect()  # joint disclosure control on the marts, before validation
        return (
            f"raw batches checked {prepared.batches_checked}, failed {len(prepared.batches_failed)}"
            f"; {protected}"
        )

    @task(pool=WAREHOUSE_POOL)
    def validate() -> str:
        from mognad.config import load_settings
        from mognad.quality.marts import validate_marts

        outcome = validate_marts(load_settings())
        if not outcome.success:
            raise RuntimeError(f"Great Expectations: {outcome.summary}")
        return outcome.summary

    @task(pool=WAREHOUSE_POOL)
    def publish() -> str:
        from mognad.orchestration import build_tasks

        return build_tasks.publish()  # the marts, then the open data written from them

    ingest() >> build() >> validate() >> publish()


mognad_pipeline()
