"""Quality: Great Expectations 1.x gates (suites in expectations/), Data Docs readable offline,
and the delivery status.

Two gates, both on pandas DataFrames read with duckdb (GX's SQL datasource does not work on
DuckDB), in one ephemeral context whose suites, assets, batch definitions, validation
definitions and checkpoints are add-or-update, so setup can run any number of times:

- `validate_raw_batches`: each incoming raw batch (one load_id) against its feed's suite
  in `expectations/raw/raw.<feed>.json`, before dbt (write-audit-publish: "audit");
- `validate_marts`: the built marts against `expectations/suites/*.json`, before publish.

The mart suites hold only the publication invariants; dbt owns the structural tests
(not_null, unique, accepted_values, relationships: a test may live in one place only, and
`tests/integration/test_build_quality.py` fails when a suite repeats one). The invariants:
no shown count below `min_cell`, ranges (0–100), suppression consistency (`suppressed`
exactly where the values are NULL), and the row count against the last publish: a table
may not shrink below `MOGNAD_MIN_ROW_SHARE` (default 0.5) of its rows in the published file
(`min_row_count`, per table; 0 for a first publish or a new table; set the share to 0 to
publish a deliberate shrink).

Every run writes its results as JSON in `$MOGNAD_HOME/quality/` and re-renders
`quality/index.html` (`render_data_docs`): plain static HTML with inline CSS, no scripts
and nothing fetched from a CDN, so it reads offline.

- `gx`: the suites and the one ephemeral GX context both gates use.
- `gate`: the raw-batch gate; `marts`: the mart gate and the row-count invariant.
- `docs`: the offline Data Docs; `status`: what each municipality has delivered.
"""
