{{ config(materialized='incremental', incremental_strategy='append') }}
{#- Incremental on load_id: each run reads only the loads new since the last build
    (and none the raw-batch quality gate failed); `mognad build --full` rebuilds. -#}
{#- One row per (pseudonymised) person and employment in an HR snapshot, from every hr load. -#}
{%- set columns = provenance_columns() -%}
{%- do columns.update({
    "person_key": "varchar",
    "snapshot_date": "date",
    "department": "varchar",
    "unit": "varchar",
    "target_group": "varchar",
    "gender": "varchar",
    "aid_code": "varchar",
    "fte": "double",
}) -%}

{{ read_raw(raw_feed_glob('hr'), columns, incremental=true) }}

-- depends_on: {{ source('raw', 'hr') }}
