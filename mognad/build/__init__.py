"""Build: raw zone → quality gate → dbt → Great Expectations → publish (write-audit-publish).

- `run`: the steps in order, the build lock, and whether anything is new since the last publish.
- `exports`: ledger, inbox and gate verdicts as Parquet for dbt.
- `gate`: the raw-batch Great Expectations gate on new loads.
- `dbt`, `incremental`: dbt in-process, and which feeds need rebuilding.
- `publish`: copying validated marts to the read-only published files.
- `open_data`: the open-data export of published marts.
- `errors`: the build's error and progress line.
"""
