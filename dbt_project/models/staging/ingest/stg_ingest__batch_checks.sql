{#- The raw-batch quality gate's verdicts, one row per load_id, from
    `raw/batch_checks.parquet` (exported by `mognad.build.gate.prepare_build`). -#}
{%- set columns = {
    "load_id": "varchar",
    "municipality_code": "varchar",
    "feed": "varchar",
    "file": "varchar",
    "checked_at": "timestamp",
    "success": "boolean",
    "failed_expectations": "varchar",
} -%}

{{ read_optional_parquet(var('raw_root') ~ '/batch_checks.parquet', columns) }}

-- depends_on: {{ source('raw', 'batch_checks') }}
