{{ config(materialized='incremental', incremental_strategy='append') }}
{#- Incremental on load_id: each run reads only the loads new since the last build
    (and none the raw-batch quality gate failed); `mognad build --full` rebuilds. -#}
{#- One row per (pseudonymised) person and course event, from every training load. -#}
{%- set columns = provenance_columns() -%}
{%- do columns.update({
    "person_key": "varchar",
    "course_code": "varchar",
    "course_name": "varchar",
    "completed_at": "date",
    "status": "varchar",
    "completed": "boolean",
    "format": "varchar",
    "hours": "double",
}) -%}

{{ read_raw(raw_feed_glob('training'), columns, incremental=true) }}

-- depends_on: {{ source('raw', 'training') }}
