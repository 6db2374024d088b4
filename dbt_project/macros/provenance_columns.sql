{#- The provenance columns every raw feed carries (docs/architecture.md), with types. -#}
{% macro provenance_columns() -%}
    {{ return({
        "load_id": "varchar",
        "municipality_code": "varchar",
        "source_file": "varchar",
        "sha256": "varchar",
        "received_at": "timestamp",
        "source_row": "integer",
    }) }}
{%- endmacro %}
