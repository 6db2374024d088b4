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

{{ read_raw(source('raw', 'hr'), raw_feed_glob('hr'), columns) }}
