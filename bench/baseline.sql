-- The bare baseline: fct_maturity straight from the inbox files, no framework.
--
-- Hand-written DuckDB SQL. bench/baseline.py fills in the placeholders (in double braces):
--   EXTENSIONS  LOAD of the excel and encodings extension files (PyPI wheels)
--   SOURCES     one read_csv(...) per (encoding, delimiter) class of survey CSV files
--                   and one read_xlsx(...) per survey XLSX file, glued with UNION ALL BY NAME
--                   (the runner only sniffs each file's encoding and delimiter; no row
--                   passes through Python)
--   CODEBOOK    dbt_project/seeds/codebook.csv;  MIN_CELL  MOGNAD_MIN_CELL (5)
-- Semantics follow CONTRACT §3/§6 and the ingest's row rules (a row with an out-of-scale or
-- non-integer answer, an unknown target group, an unreadable date or a repeated respondent id
-- is rejected whole; blank, '-', 'vet ej' = no answer). Only primary suppression (n < 5);
-- secondary suppression is left out (it only hides more cells).

{{EXTENSIONS}}

create temp table codebook as
select instrument, item_code, dimension, category,
       scale_min::integer as scale_min, scale_max::integer as scale_max,
       reverse_coded::boolean as reverse_coded
from read_csv('{{CODEBOOK}}', header = true, all_varchar = true);

-- 1. every survey row, as text, in file order (rowid keeps the order for duplicate ids)
create temp table wide as
select * from (
    select
        null::varchar as respondent_id, null::varchar as submitted_at,
        null::varchar as target_group, null::varchar as gender,
        null::varchar as instrument, null::varchar as filename
    where false
    {{SOURCES}}
);

-- 2. header aliases (case and whitespace insensitive, English or Swedish)
create temp table rows as
select
    rowid as row_id,
    filename,
    trim(coalesce(*columns('(?i)^\s*(respondent_id|svars_id|respondent)\s*$'))) as rid,
    trim(coalesce(*columns('(?i)^\s*(submitted_at|inskickad|datum)\s*$'))) as submitted,
    lower(trim(coalesce(*columns('(?i)^\s*(target_group|målgrupp|roll)\s*$')))) as tg,
    lower(trim(coalesce(*columns('(?i)^\s*(gender|kön)\s*$'), ''))) as gender_raw,
    lower(trim(coalesce(*columns('(?i)^\s*(instrument|enkät)\s*$'), ''))) as instrument_raw,
    columns('^(F|A|DC)[0-9][0-9]$')
from wide;

-- 3. long: one row per answered item (blank cells are dropped by UNPIVOT)
create temp table long as
select r.row_id, r.item_code, lower(trim(r.raw)) as raw
from (unpivot (select row_id, columns('^(F|A|DC)[0-9][0-9]$') from rows)
      on columns('^(F|A|DC)[0-9][0-9]$') into name item_code value raw) as r;

-- 4. the row rules: a file's default instrument from its item codes, then reject whole rows
create temp table respondents as
with file_instrument as (
    select r.filename,
           case when bool_and(l.item_code like 'DC%') then 'digcomp' else 'dimios' end as inst
    from long as l join rows as r using (row_id)
    group by r.filename
),
typed as (
    select
        r.row_id, r.filename, r.rid,
        try_cast(left(r.submitted, 10) as date) as submitted_date,
        case when r.tg in ('förtroendevald', 'chef', 'medarbetare') then r.tg end as target_group,
        case
            when r.gender_raw in ('', '-', 'vet ej', 'ej angivet', 'uppgift saknas') then 'ej angivet'
            when r.gender_raw in ('kvinna', 'k', 'kvinnor', 'female', 'f', 'woman')  then 'kvinna'
            when r.gender_raw in ('man', 'm', 'män', 'male', 'men')                 then 'man'
            when r.gender_raw in ('annat', 'other', 'annan', 'icke-binär')          then 'annat'
        end as gender,
        coalesce(nullif(r.instrument_raw, ''), fi.inst) as instrument
    from rows as r left join file_instrument as fi using (filename)
),
bad_answers as (
    select distinct l.row_id
    from long as l
    join typed as t using (row_id)
    join codebook as c on c.instrument = t.instrument and c.item_code = l.item_code
    where l.raw not in ('', '-', 'vet ej')
      and (try_cast(l.raw as integer) is null
           or try_cast(l.raw as integer) not between c.scale_min and c.scale_max)
),
valid as (
    select t.*
    from typed as t
    where t.rid is not null and t.rid <> ''
      and t.submitted_date is not null
      and t.target_group is not null
      and t.gender is not null
      and t.row_id not in (select row_id from bad_answers)
)
-- a repeated respondent id in the same file: the first valid row counts
select * exclude (n)
from (select *, row_number() over (partition by filename, rid order by row_id) as n from valid)
where n = 1;

-- 5. scoring (CONTRACT §6), decimal(18, 9) at every level like the platform
create temp table item_scores as
select
    t.row_id, t.filename, t.instrument, t.target_group, t.gender,
    year(t.submitted_date) as wave,
    regexp_extract(t.filename, '([0-9]{4})/survey/', 1) as municipality_code,
    c.dimension, c.category,
    cast(case
        when c.reverse_coded
            then 100.0 * ((c.scale_max + c.scale_min - try_cast(l.raw as integer)) - c.scale_min)
                / (c.scale_max - c.scale_min)
        else 100.0 * (try_cast(l.raw as integer) - c.scale_min) / (c.scale_max - c.scale_min)
    end as decimal(18, 9)) as item_score
from respondents as t
join long as l using (row_id)
join codebook as c on c.instrument = t.instrument and c.item_code = l.item_code;

create temp table scores as
with n_items as (
    select instrument, dimension, category, count(*) as n from codebook group by all
),
category_scores as (
    select s.row_id, s.municipality_code, s.wave, s.instrument, s.target_group,
           s.dimension, s.category, cast(avg(s.item_score) as decimal(18, 9)) as score
    from item_scores as s join n_items using (instrument, dimension, category)
    group by all
    having 2 * count(s.item_score) >= max(n_items.n)
),
dimension_scores as (
    select row_id, municipality_code, wave, instrument, target_group, dimension,
           'alla' as category, cast(avg(score) as decimal(18, 9)) as score
    from category_scores group by all
),
overall_scores as (
    select row_id, municipality_code, wave, instrument, target_group,
           'alla' as dimension, 'alla' as category, cast(avg(score) as decimal(18, 9)) as score
    from dimension_scores group by all
)
select * from category_scores
union all by name select * from dimension_scores
union all by name select * from overall_scores;

-- 6. the published grain: municipality × wave × instrument × target group (with 'alla') ×
--    dimension × category; primary suppression only
create table baseline_maturity as
select
    municipality_code, wave, instrument,
    coalesce(target_group, 'alla') as target_group,
    dimension, category,
    count(*) as respondents_unsuppressed,
    round(avg(score), 1)::double as score_unsuppressed,
    count(*) < {{MIN_CELL}} as suppressed
from scores
group by grouping sets (
    (municipality_code, wave, instrument, dimension, category, target_group),
    (municipality_code, wave, instrument, dimension, category)
);
