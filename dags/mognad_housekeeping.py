"""Daily housekeeping: purge archived originals (they hold personnummer) older than
MOGNAD_ARCHIVE_RETENTION_DAYS, only where the content is safe in the raw zone; every purge
is logged in state/purge_log.jsonl. Thin: the task calls `mognad.state.operations.purge_archive`."""

from __future__ import annotations

import pendulum
from _mognad_defaults import DEFAULT_ARGS
from airflow.sdk import CronTriggerTimetable, dag, task


@dag(
    dag_id="mognad_housekeeping",
    description="Rensa arkiverade original äldre än lagringstiden / purge old archived originals",
    schedule=CronTriggerTimetable("30 3 * * *", timezone="Europe/Stockholm"),
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["mognad", "housekeeping"],
    max_active_runs=1,
    doc_md=__doc__,
)
def mognad_housekeeping():
    @task
    def purge_archive() -> dict:
        from mognad.config import load_settings
        from mognad.state.operations import purge_archive as purge

        settings = load_settings()
        plan = purge(settings, settings.archive_retention_days, apply=True)
        print(
            f"purged {len(plan.delete)} archived files ({plan.bytes} bytes) older than "
            f"{settings.archive_retention_days:g} days; kept {len(plan.keep)}"
        )
        return {"deleted": len(plan.delete), "kept": len(plan.keep)}

    purge_archive()


mognad_housekeeping()
