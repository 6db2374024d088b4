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

{{ read_raw(source('raw', 'training'), raw_feed_glob('training'), columns) }}
