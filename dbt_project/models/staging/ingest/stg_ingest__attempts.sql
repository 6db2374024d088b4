{#- Every ingest attempt from the exported ledger; empty before the first export. -#}
{%- set columns = {
    "attempt_id": "varchar",
    "municipality_code": "varchar",
    "feed": "varchar",
    "file": "varchar",
    "sha256": "varchar",
    "status": "varchar",
    "rows_read": "bigint",
    "rows_loaded": "bigint",
    "rows_rejected": "bigint",
    "received_at": "timestamp",
    "load_id": "varchar",
    "reason": "varchar",
} -%}

{{ read_optional_parquet(var('raw_root') ~ '/ingest_log.parquet', columns) }}

-- depends_on: {{ source('raw', 'ingest_log') }}
