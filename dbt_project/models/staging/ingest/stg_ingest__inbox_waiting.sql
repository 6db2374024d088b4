{#- Files waiting in the inboxes when the build started, from `raw/inbox_waiting.parquet`
    (exported by `mognad.build.gate.prepare_build`). `stale`: settled and still waiting after
    MOGNAD_STALE_INBOX_MINUTES, i.e. nobody is taking it. -#}
{%- set columns = {
    "municipality_code": "varchar",
    "feed": "varchar",
    "file": "varchar",
    "modified_at": "timestamp",
    "waiting_minutes": "double",
    "settled": "boolean",
    "stale": "boolean",
} -%}

{{ read_optional_parquet(var('raw_root') ~ '/inbox_waiting.parquet', columns) }}

-- depends_on: {{ source('raw', 'inbox_waiting') }}
