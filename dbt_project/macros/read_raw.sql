{#-
  Select from a raw-zone feed: the Parquet files of the loads that are new to this model
  and have not failed the raw-batch quality gate.

  The raw zone is one folder per load (`feed=<f>/municipality_code=<k>/load_id=<id>/`), never
  rewritten, so a load is read once: in an incremental run, files whose load_id is already in
  the model ({{ this }}) are skipped, and so are loads the Great Expectations gate failed
  (listed in `raw/batch_checks.parquet`, exported by `mognad.build.gate.prepare_build`). When no
  file is left, the result is an empty relation with the same columns.

  path:    the glob of the feed's files
  columns: ordered mapping column -> DuckDB type; the result always has exactly these
-#}
{% macro read_raw(path, columns, incremental=false) -%}
    {%- set ns = namespace(files=[]) -%}
    {%- if execute -%}
        {%- set checks = var('raw_root') ~ '/batch_checks.parquet' -%}
        {%- set glob_sql -%}
            select file, regexp_extract(file, 'load_id=([^/]+)', 1) as load_id
            from glob('{{ path | replace("'", "''") }}')
        {%- endset -%}
        {%- set filters = [] -%}
        {%- set check_files = run_query("select count(*) from glob('" ~ checks ~ "')").columns[0].values()[0] -%}
        {%- if check_files > 0 -%}
            {%- do filters.append("load_id not in (select load_id from read_parquet('" ~ checks ~ "') where not success)") -%}
        {%- endif -%}
        {%- if incremental and is_incremental() -%}
            {%- do filters.append("load_id not in (select distinct load_id from " ~ this ~ ")") -%}
        {%- endif -%}
        {%- set query -%}
            select file from ({{ glob_sql }}) as f
            {% if filters %}where {{ filters | join(' and ') }}{% endif %}
            order by file
        {%- endset -%}
        {%- set ns.files = run_query(query).columns[0].values() | list -%}
    {%- endif -%}
    {%- if ns.files | length > 0 %}
    select
        {%- for name, type in columns.items() %}
        cast({{ adapter.quote(name) }} as {{ type }}) as {{ adapter.quote(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from read_parquet([
        {%- for f in ns.files %}'{{ f | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ], hive_partitioning = false, union_by_name = true)
    {%- else %}
    select
        {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ adapter.quote(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}

{#- Select from a single optional Parquet file (e.g. the exported ingest log), or an empty
    typed relation while it does not exist. -#}
{% macro read_optional_parquet(path, columns) -%}
    {%- set ns = namespace(files=0) -%}
    {%- if execute -%}
        {%- set ns.files = run_query("select count(*) from glob('" ~ (path | replace("'", "''")) ~ "')").columns[0].values()[0] -%}
    {%- endif -%}
    select
        {%- for name, type in columns.items() %}
        {% if ns.files > 0 %}cast({{ adapter.quote(name) }} as {{ type }}){% else %}cast(null as {{ type }}){% endif %} as {{ adapter.quote(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    {% if ns.files > 0 %}from read_parquet('{{ path | replace("'", "''") }}'){% else %}where false{% endif %}
{%- endmacro %}

{#- The glob of one feed's Parquet files in the raw zone. -#}
{% macro raw_feed_glob(feed) -%}
    {{ var('raw_root') }}/feed={{ feed }}/*/*/*.parquet
{%- endmacro %}
