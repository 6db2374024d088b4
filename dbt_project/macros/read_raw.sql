{#-
  Select from a raw-zone source, or from an empty relation of the same columns when the
  source has no files yet (a feed nobody has delivered, a fresh installation).

  relation: the `source(...)` relation (rendered as dbt-duckdb's external_location)
  path:     the glob (or file) the source reads, checked with duckdb's glob() at run time
  columns:  ordered mapping column -> DuckDB type; the result always has exactly these
-#}
{% macro read_raw(relation, path, columns) -%}
    {%- set ns = namespace(files=0) -%}
    {%- if execute -%}
        {%- set result = run_query("select count(*) from glob('" ~ (path | replace("'", "''")) ~ "')") -%}
        {%- set ns.files = result.columns[0].values()[0] -%}
    {%- endif -%}
    {%- if ns.files > 0 %}
    select
        {%- for name, type in columns.items() %}
        cast({{ adapter.quote(name) }} as {{ type }}) as {{ adapter.quote(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- else %}
    select
        {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ adapter.quote(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}

{#- The glob of one feed's Parquet files in the raw zone. -#}
{% macro raw_feed_glob(feed) -%}
    {{ var('raw_root') }}/feed={{ feed }}/*/*/*.parquet
{%- endmacro %}
