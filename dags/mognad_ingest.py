"""Event-driven ingest: settled files in any inbox → `mognad ingest` → one Asset event per
feed that got new loads (the build DAG is scheduled on those).

The `AssetWatcher` runs `InboxSettledTrigger` in the triggerer; it never touches the files.
The ingest ledger decides what is new, so merged or repeated events are harmless."""

from __future__ import annotations

import os

from _mognad_defaults import DEFAULT_ARGS, START_DATE
from airflow.sdk import Asset, AssetAlias, AssetWatcher, dag, task

from mognad.config import load_settings
from mognad.orchestration.assets import INBOX_ASSET_NAME, RAW_LOADED_ALIAS, raw_feed_asset_name
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
        from mognad.config import load_settings
        from mognad.ingest import ingest as run_ingest

        report = run_ingest(load_settings())
        print(report.summary())
        loaded = sorted(report.feeds_loaded)
        for feed in loaded:
            outlet_events[raw_loaded].add(
                Asset(name=raw_feed_asset_name(feed)),
                extra={"files": sum(1 for o in report.outcomes if o.feed == feed)},
            )
        if report.refused and not loaded:
            raise RuntimeError("; ".join(report.refused))
        if report.refused:  # loads went through: their events must not be lost to a retry
            print("VARNING/WARNING: " + "; ".join(report.refused))
        return {
            "loaded": report.count("loaded"),
            "quarantined": report.count("quarantined"),
            "waiting": report.waiting,
            "feeds": loaded,
        }

    ingest()


mognad_ingest()
