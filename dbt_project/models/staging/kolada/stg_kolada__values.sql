{{ config(materialized='incremental', incremental_strategy='append') }}
{#- Kolada v3 values (landed by `mognad pull`), one row per KPI, municipality, year and
    gender; incremental on load_id like the other feeds. Empty while nothing is pulled. -#}
{%- set columns = provenance_columns() -%}
{%- do columns.update({
    "kpi": "varchar",
    "year": "integer",
    "gender": "varchar",
    "value": "double",
}) -%}

{{ read_raw(raw_feed_glob('kolada'), columns, incremental=true) }}

-- depends_on: {{ source('raw', 'kolada') }}
