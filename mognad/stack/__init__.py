"""Running the stack locally: Airflow, Superset and the `make demo` platform run.

Not the product's data path: nothing under `mognad/ingest`, `build` or `quality` imports it.

- `airflow_local`: Airflow's home, `airflow standalone`, its REST API.
- `superset_base` (environment, metadata), `superset_assets` (the export bundle),
  `superset_access` (roles, row-level security, demo users, chart queries),
  `superset_local` (setup and running); `superset_scripts/` runs inside Superset's venv.
- `platform`: `make demo` from a clean machine to ready; `ready`: the ready check.
"""
