"""Running the stack locally: Airflow, Superset and the `make demo` platform run.

Not the product's data path: nothing under `mognad/ingest`, `build` or `quality` imports it.
"""
