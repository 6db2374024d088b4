"""Event-driven ingest: settled files in any inbox → `mognad ingest` → one Asset event per
feed that got new loads (the build DAG is scheduled on those).

The `AssetWatcher` runs `InboxSettledTrigger` in the triggerer; it never touches the files.
The ingest ledger decides what is new, so merged or repeated events are harmless."""

from __future__ import annotations

import os

from _mognad_defaults import DEFAULT_ARGS, START_DATE
from airflow.sdk import Asset, AssetAlias, AssetWatcher, dag, task

from mognad.config import load_settings
from mognad.orchestration.names import INBOX_ASSET_NAME, RAW_LOADED_ALIAS
from mognad.orchestration.trigger import InboxSettledTrigger

_settings = load_settings()
inbox_asset = Asset(
    name=INBOX_ASSET_NAME,
    watchers=[
        AssetWatcher(
            name="mognad_inbox_watcher",
            trigger=InboxSettledTrigger(
                inbox=str(_settings.inbox),
                settle_seconds=_settings.settle_seconds,
                poll_seconds=float(os.environ.get("MOGNAD_INBOX_POLL_SECONDS", "5")),
            ),
        )
    ],
)
raw_loaded = AssetAlias(RAW_LOADED_ALIAS)


@dag(
    dag_id="mognad_ingest",
    description="Läs in avlagda filer från kommunernas inkorgar (händelsestyrt)",
    schedule=[inbox_asset],
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["mognad", "ingest", "event-driven"],
    max_active_runs=1,
    doc_md=__doc__,
)
def mognad_ingest():
    @task(outlets=[raw_loaded])
    def ingest(*, outlet_events=None) -> dict:
        from mognad.orchestration.ingest_task import run_ingest_task

        # emits the events of the loads that went through and succeeds: Airflow records
        # outlet events only for a successful task; `check` fails the run instead
        return run_ingest_task(outlet_events=outlet_events, alias=raw_loaded)

    @task
    def check(result: dict) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from mognad.orchestration.ingest_task import IngestFailed, check_ingest

        try:
            return check_ingest(result)
        except IngestFailed as exc:  # a retry would re-read the same result: fail for good
            raise AirflowFailException(str(exc)) from exc

    check(ingest())


mognad_ingest()
