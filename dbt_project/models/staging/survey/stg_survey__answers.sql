{{ config(materialized='incremental', incremental_strategy='append') }}
{#- Incremental on load_id: each run reads only the loads new since the last build
    (and none the raw-batch quality gate failed); `mognad build --full` rebuilds. -#}
{#- One row per respondent and item, typed, from every survey load in the raw zone. -#}
{%- set columns = provenance_columns() -%}
{%- do columns.update({
    "respondent_id": "varchar",
    "submitted_at": "timestamp",
    "wave": "integer",
    "target_group": "varchar",
    "gender": "varchar",
    "department": "varchar",
    "instrument": "varchar",
    "item_code": "varchar",
    "answer": "integer",
}) -%}

with source as (
    {{ read_raw(raw_feed_glob('survey'), columns, incremental=true) }}
)

select
    *,
    -- A respondent is identified within one load (one delivered file).
    load_id || '/' || respondent_id as respondent_key
from source

-- depends_on: {{ source('raw', 'survey') }}
