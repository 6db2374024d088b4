"""Orchestration helpers that Airflow's processes import from the `mognad` package.

`trigger.InboxSettledTrigger` runs in the triggerer (an `AssetWatcher` wakes the ingest DAG);
`assets` names the Assets the DAGs exchange; `nightly` holds the pull-threshold logic.
"""
