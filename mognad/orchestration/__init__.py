"""Orchestration helpers that Airflow's processes import from the `mognad` package.

- `trigger.InboxSettledTrigger`: runs in the triggerer; an `AssetWatcher` wakes `mognad_ingest`.
- `assets`: the names of the Assets the DAGs exchange.
- `build_tasks`: prepare → dbt (cosmos) → validate → publish, shared by the DAGs.
- `nightly`: the HTTP sources to pull, one pull, the failure threshold.
- `live`: running Airflow for real (standalone or a Celery cluster) for tests and bench/.
"""
