{{ config(materialized='incremental', incremental_strategy='append') }}
{#- Incremental on load_id: each run reads only the loads new since the last build
    (and none the raw-batch quality gate failed); `mognad build --full` rebuilds. -#}
{#- One row per step of a delivered training plan, from every plan load (every version a
    municipality delivered; int_plan__current_steps picks the latest). -#}
{%- set columns = provenance_columns() -%}
{%- do columns.update({
    "step": "varchar",
    "target_group": "varchar",
    "department": "varchar",
    "course_codes": "varchar",
    "starts_on": "date",
    "due_on": "date",
    "target_pct": "double",
    "after_step": "varchar",
}) -%}

{{ read_raw(raw_feed_glob('plan'), columns, incremental=true) }}

-- depends_on: {{ source('raw', 'plan') }}
