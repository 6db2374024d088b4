-- The bare baseline: the headline marts straight from the inbox files, no framework.
--
-- Hand-written DuckDB SQL. bench/baseline.py fills in the placeholders (in double braces):
--   EXTENSIONS  LOAD of the excel and encodings extension files (PyPI wheels)
--   SURVEY_SOURCES, HR_SOURCES, TRAINING_SOURCES
--               per feed, one read_csv(...) per (encoding, delimiter) class of CSV files and
--               one read_xlsx(...) per XLSX file (from its header row), glued with
--               UNION ALL BY NAME (the runner only sniffs each file's encoding, delimiter and
--               XLSX header row; no row passes through Python)
--   XAPI_SOURCES  one read_json(...) per JSON layout (array / one statement per line) of the
--               training feed's xAPI files
--   CODEBOOK    dbt_project/seeds/codebook.csv;  MIN_CELL  MOGNAD_MIN_CELL (5)
--   MAX_REJECT_SHARE  MOGNAD_MAX_REJECT_SHARE (0.2)
-- Computes fct_maturity, fct_response_rate and fct_training_coverage (CONTRACT §3/§6). Row
-- rules follow the ingest: a row with a bad required value is rejected whole, and a file with
-- more than MAX_REJECT_SHARE of its rows rejected is dropped whole (quarantined). No
-- pseudonymisation: HR and training join on the personnummer normalised to 12 digits (and
-- validated with its Luhn digit) in SQL. Only primary suppression (n < 5); secondary
-- suppression is left out (it only hides more cells). Files delivered twice are not
-- de-duplicated (the ingest loads the same bytes once).

{{EXTENSIONS}}

set TimeZone = 'UTC';

-- ---- shared value rules (mognad/ingest/values.py) -----------------------------------------

create temp macro norm(v) as lower(regexp_replace(trim(coalesce(v, '')), '\s+', ' ', 'g'));

create temp table target_groups(raw varchar, target_group varchar);
insert into target_groups values
    ('förtroendevald', 'förtroendevald'), ('förtroendevalda', 'förtroendevald'),
    ('fortroendevald', 'förtroendevald'), ('politiker', 'förtroendevald'),
    ('elected', 'förtroendevald'), ('elected official', 'förtroendevald'),
    ('chef', 'chef'), ('chefer', 'chef'), ('manager', 'chef'),
    ('medarbetare', 'medarbetare'), ('anställd', 'medarbetare'), ('employee', 'medarbetare');

create temp macro gender_of(v) as case
    when norm(v) in ('', '-', 'vet ej', 'ej angivet', 'uppgift saknas', 'vill ej uppge', 'okänt')
        then 'ej angivet'
    when norm(v) in ('kvinna', 'k', 'kv', 'female', 'f', 'woman') then 'kvinna'
    when norm(v) in ('man', 'm', 'male') then 'man'
    when norm(v) in ('annat', 'annan', 'other', 'x') then 'annat'
end;

-- a date, 'YYYY-MM' (that month's last day) or, in an XLSX, an Excel serial; NULL otherwise
create temp macro date_of(v, excel) as case
    when regexp_full_match(v, '\d{4}-\d{2}')
        then case when v[6:7]::integer between 1 and 12
            then last_day(make_date(v[1:4]::integer, v[6:7]::integer, 1)) end
    when excel and regexp_full_match(v, '\d{1,6}(\.\d+)?')
        then case
            when floor(v::double) between 1 and 59 then date '1899-12-31' + floor(v::double)::integer
            when floor(v::double) >= 61 then date '1899-12-30' + floor(v::double)::integer
        end
    else coalesce(
        try_cast(try_cast(replace(v, 'Z', '+00:00') as timestamptz) as date),
        try_strptime(v, ['%Y%m%d', '%d.%m.%Y', '%d/%m/%Y', '%Y/%m/%d'])::date)
end;

-- a decimal number with comma or point: false when the text is not one
create temp macro number_ok(v) as
    trim(coalesce(v, '')) = ''
    or try_cast(replace(rtrim(replace(replace(trim(v), chr(160), ''), ' ', ''), '%'), ',', '.')
                as double) is not null;

create temp table statuses(raw varchar, status varchar);
insert into statuses values
    ('completed', 'completed'), ('complete', 'completed'), ('slutförd', 'completed'),
    ('genomförd', 'completed'), ('klar', 'completed'), ('passed', 'passed'),
    ('godkänd', 'passed'), ('failed', 'failed'), ('underkänd', 'failed'),
    ('incomplete', 'incomplete'), ('ej slutförd', 'incomplete'), ('ofullständig', 'incomplete'),
    ('started', 'started'), ('påbörjad', 'started'), ('browsed', 'started'),
    ('launched', 'started'), ('initialized', 'started'), ('not attempted', 'started'),
    ('attempted', 'started');

create temp table codebook as
select instrument, item_code, dimension, category,
       scale_min::integer as scale_min, scale_max::integer as scale_max,
       reverse_coded::boolean as reverse_coded
from read_csv('{{CODEBOOK}}', header = true, all_varchar = true);

-- =========================================================================================
-- fct_maturity
-- =========================================================================================

-- 1. every survey row, as text, in file order (rowid keeps the order for duplicate ids)
create temp table wide as
select * from (
    select
        null::varchar as respondent_id, null::varchar as submitted_at,
        null::varchar as target_group, null::varchar as gender,
        null::varchar as instrument, null::varchar as filename
    where false
    {{SURVEY_SOURCES}}
);

-- 2. header aliases (case and whitespace insensitive, English or Swedish)
create temp table rows as
select
    rowid as row_id,
    filename,
    trim(coalesce(*columns('(?i)^\s*(respondent_id|svars_?id|respondent)\s*$'))) as rid,
    trim(coalesce(*columns('(?i)^\s*(submitted_at|inskickad|datum)\s*$'))) as submitted,
    norm(coalesce(*columns('(?i)^\s*(target_group|målgrupp|roll)\s*$'))) as tg,
    coalesce(*columns('(?i)^\s*(gender|kön)\s*$'), '') as gender_raw,
    norm(coalesce(*columns('(?i)^\s*(instrument|enkät)\s*$'), '')) as instrument_raw,
    columns('^(F|A|DC)[0-9][0-9]$')
from wide;

-- 3. long: one row per answered item (blank cells are dropped by UNPIVOT)
create temp table long as
select r.row_id, r.item_code, lower(trim(r.raw)) as raw
from (unpivot (select row_id, columns('^(F|A|DC)[0-9][0-9]$') from rows)
      on columns('^(F|A|DC)[0-9][0-9]$') into name item_code value raw) as r;

-- 4. the row rules: a file's default instrument from its item codes, then reject whole rows;
--    a file with too many rejected rows is dropped whole
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
        tg.target_group,
        gender_of(r.gender_raw) as gender,
        coalesce(nullif(r.instrument_raw, ''), fi.inst) as instrument
    from rows as r
    left join file_instrument as fi using (filename)
    left join target_groups as tg on tg.raw = r.tg
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
),
-- a repeated respondent id in the same file: the first valid row counts
accepted as (
    select * exclude (n)
    from (select *, row_number() over (partition by filename, rid order by row_id) as n
          from valid)
    where n = 1
),
kept_files as (
    select r.filename
    from rows as r left join accepted as a using (row_id)
    group by r.filename
    having count(*) - count(a.row_id) <= {{MAX_REJECT_SHARE}} * count(*)
)
select * from accepted where filename in (select filename from kept_files);

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
    avg(score)::double as score_unsuppressed,
    count(*) < {{MIN_CELL}} as suppressed
from scores
group by grouping sets (
    (municipality_code, wave, instrument, dimension, category, target_group),
    (municipality_code, wave, instrument, dimension, category)
);

-- =========================================================================================
-- HR and training
-- =========================================================================================

-- 7. every HR and training row, as text
create temp table hr_wide as
select * from (
    select
        null::varchar as person_id, null::varchar as snapshot_date,
        null::varchar as department, null::varchar as target_group, null::varchar as manager,
        null::varchar as gender, null::varchar as aid_code, null::varchar as fte,
        null::varchar as filename
    where false
    {{HR_SOURCES}}
);

create temp table training_wide as
select * from (
    select
        null::varchar as person_id, null::varchar as course_code,
        null::varchar as completed_at, null::varchar as status, null::varchar as hours,
        null::varchar as filename
    where false
    {{TRAINING_SOURCES}}
);

create temp table hr_rows as
select
    rowid as row_id,
    filename,
    filename like '%.xlsx' as excel,
    regexp_extract(filename, '([0-9]{4})/hr/', 1) as municipality_code,
    replace(trim(coalesce(*columns('(?i)^\s*(person[\s_-]*id|personnummer)\s*$'))), ' ', '')
        as pid,
    trim(coalesce(*columns('(?i)^\s*(snapshot[\s_-]*date|datum|period)\s*$'))) as snap_raw,
    trim(coalesce(*columns('(?i)^\s*(department|förvaltning)\s*$'), '')) as department,
    norm(coalesce(*columns('(?i)^\s*(target[\s_-]*group|målgrupp|roll)\s*$'))) as tg_raw,
    norm(coalesce(*columns('(?i)^\s*(manager|chef)\s*$'))) as manager_raw,
    coalesce(*columns('(?i)^\s*(gender|kön)\s*$'), '') as gender_raw,
    trim(coalesce(*columns('(?i)^\s*(aid[\s_-]*code|aid|aid[\s_-]*kod)\s*$'), '')) as aid_raw,
    coalesce(*columns('(?i)^\s*(fte|sysselsättningsgrad)\s*$'), '') as fte_raw
from hr_wide;

create temp table xapi_wide as
select * from (
    select
        null::json as actor, null::json as verb, null::json as object,
        null::varchar as "timestamp", null::varchar as filename
    where false
    {{XAPI_SOURCES}}
);

-- training rows from LMS exports (CSV/XLSX) and xAPI statements, in one shape
create temp table training_rows as
select
    rowid as row_id,
    filename,
    filename like '%.xlsx' as excel,
    regexp_extract(filename, '([0-9]{4})/training/', 1) as municipality_code,
    replace(trim(coalesce(*columns('(?i)^\s*(person[\s_-]*id|personnummer)\s*$'))), ' ', '')
        as pid,
    trim(coalesce(*columns('(?i)^\s*(course[\s_-]*code|kurskod)\s*$'), '')) as course,
    trim(coalesce(*columns('(?i)^\s*(completed[\s_-]*at|slutförd|datum)\s*$'), '')) as date_raw,
    norm(coalesce(*columns('(?i)^\s*(status)\s*$'))) as status_raw,
    coalesce(*columns('(?i)^\s*(hours|timmar)\s*$'), '') as hours_raw,
    false as xapi
from training_wide
union all
select
    -1 - rowid,
    filename,
    false,
    regexp_extract(filename, '([0-9]{4})/training/', 1),
    trim(coalesce(actor ->> '$.account.name', '')),
    regexp_extract(rtrim(trim(coalesce(object ->> '$.id', '')), '/'), '[^/]*$'),
    trim(coalesce("timestamp", '')),
    lower(regexp_extract(trim(coalesce(verb ->> '$.id', '')), '[^/]*$')),
    '',
    true
from xapi_wide;

-- 8. personnummer and samordningsnummer (mognad/contract/personnummer.py), once per distinct value:
--    form, century, a real birth date on or before today (day + 60 for samordningsnummer),
--    Luhn check digit; the 12-digit form, or NULL
create temp macro real_date(y, m, d) as
    try_strptime(lpad(y::varchar, 4, '0') || lpad(m::varchar, 2, '0') || lpad(d::varchar, 2, '0'),
                 '%Y%m%d')::date;

create temp table pnr as
with raw as (
    select distinct pid from hr_rows
    union select distinct pid from training_rows
),
parts as (
    select pid, regexp_extract(pid, '^(\d{2})?(\d{6})([-+]?)(\d{4})$', ['c', 'd', 's', 't']) as g
    from raw
),
nums as (
    select
        pid, g.c as century, g.d as yymmdd, g.s as sep, g.t as tail,
        g.d[1:2]::integer as yy, g.d[3:4]::integer as mm,
        -- day + 60: a samordningsnummer
        g.d[5:6]::integer - case when g.d[5:6]::integer > 60 then 60 else 0 end as dd,
        (year(current_date) // 100) * 100 + g.d[1:2]::integer as this_century
    from parts
    where g.d <> ''
),
years as (
    select *,
        case
            when century <> '' then century::integer * 100 + yy
            else this_century
                - case when real_date(this_century, mm, dd) is null
                         or real_date(this_century, mm, dd) > current_date
                       then 100 else 0 end
                - case when sep = '+' then 100 else 0 end
        end as yyyy
    from nums
),
dated as (select *, real_date(yyyy, mm, dd) as birth from years)
select pid, lpad(yyyy::varchar, 4, '0') || yymmdd[3:6] || tail as pnr12
from dated
where birth is not null and birth <= current_date
  -- Luhn over YYMMDDNNN, weights 2, 1, 2, ... from the left
  and (10 - list_sum(list_transform(range(9), lambda i:
          ((yymmdd || tail)[i + 1]::integer * (2 - i % 2)) // 10
          + ((yymmdd || tail)[i + 1]::integer * (2 - i % 2)) % 10)) % 10) % 10
      = tail[4]::integer;

-- 9. the HR row rules, then the file rule
create temp table hr_valid as
with typed as (
    select
        h.row_id, h.filename, h.municipality_code, p.pnr12,
        date_of(h.snap_raw, h.excel) as snapshot_date,
        h.department,
        case
            when h.tg_raw <> '' then tg.target_group
            when h.manager_raw in ('ja', 'j', 'yes', 'y', '1', 'true', 'sant', 'x') then 'chef'
            else 'medarbetare'
        end as target_group,
        gender_of(h.gender_raw) as gender,
        case when h.excel and regexp_full_match(h.aid_raw, '\d{1,5}')
             then lpad(h.aid_raw, 6, '0') else h.aid_raw end as aid,
        number_ok(h.fte_raw) as fte_ok
    from hr_rows as h
    left join pnr as p using (pid)
    left join target_groups as tg on tg.raw = h.tg_raw
),
flagged as (
    select *,
        pnr12 is not null and snapshot_date is not null and department <> ''
        and target_group is not null and gender is not null
        and (aid = '' or regexp_full_match(aid, '\d{6}')) and fte_ok as ok
    from typed
),
kept_files as (
    select filename from flagged group by filename
    having count(*) filter (where not ok) <= {{MAX_REJECT_SHARE}} * count(*)
)
select municipality_code, snapshot_date, pnr12, target_group, gender
from flagged
where ok and filename in (select filename from kept_files);

-- one row per person in each snapshot: one target group (chef, förtroendevald, medarbetare
-- in that order) and the first stated gender
create temp table persons as
select
    municipality_code, snapshot_date, pnr12,
    arg_min(target_group,
            case target_group when 'chef' then 1 when 'förtroendevald' then 2 else 3 end)
        as target_group,
    coalesce(arg_min(gender, gender) filter (where gender <> 'ej angivet'), 'ej angivet')
        as gender
from hr_valid
group by all;

-- 10. the training row rules (LMS and xAPI), then the file rule
create temp table completions as
with typed as (
    select
        t.row_id, t.filename, t.municipality_code, t.xapi, p.pnr12, t.course, t.date_raw,
        date_of(t.date_raw, t.excel) as completed_at,
        case
            when t.status_raw <> '' then s.status
            when t.xapi then null
            when t.date_raw <> '' then 'completed'
            else 'started'
        end as status,
        number_ok(t.hours_raw) as hours_ok
    from training_rows as t
    left join pnr as p using (pid)
    left join statuses as s on s.raw = t.status_raw
),
flagged as (
    select *,
        pnr12 is not null and course <> '' and status is not null and hours_ok
        and case
            when xapi then status not in ('completed', 'passed') or completed_at is not null
            else (date_raw = '' or completed_at is not null)
                 and (status not in ('completed', 'passed') or date_raw <> '')
        end as ok
    from typed
),
kept_files as (
    select filename from flagged group by filename
    having count(*) filter (where not ok) <= {{MAX_REJECT_SHARE}} * count(*)
)
select municipality_code, pnr12, min(completed_at) as first_completed_at
from flagged
where ok and status in ('completed', 'passed') and completed_at is not null
  and filename in (select filename from kept_files)
group by all;

-- =========================================================================================
-- fct_response_rate: per municipality × wave × target group ('alla'); headcount from the
-- latest HR snapshot on or before 31 December of the wave
-- =========================================================================================
create table baseline_response_rate as
with survey_coded as (
    select regexp_extract(r.filename, '([0-9]{4})/survey/', 1) as municipality_code,
           year(r.submitted_date) as wave, r.target_group, r.row_id
    from respondents as r
),
waves as (select distinct municipality_code, wave from survey_coded),
snapshot_for_wave as (
    select w.municipality_code, w.wave, max(s.snapshot_date) as snapshot_date
    from waves as w
    join (select distinct municipality_code, snapshot_date from persons) as s
        on s.municipality_code = w.municipality_code
        and s.snapshot_date <= make_date(w.wave, 12, 31)
    group by all
),
headcount as (
    select s.municipality_code, s.wave, coalesce(p.target_group, 'alla') as target_group,
           count(*) as headcount
    from snapshot_for_wave as s
    join persons as p using (municipality_code, snapshot_date)
    group by grouping sets ((s.municipality_code, s.wave, p.target_group),
                            (s.municipality_code, s.wave))
),
counted as (
    select municipality_code, wave, coalesce(target_group, 'alla') as target_group,
           count(*) as respondents
    from survey_coded
    group by grouping sets ((municipality_code, wave, target_group), (municipality_code, wave))
),
joined as (
    select
        w.municipality_code, w.wave, g.target_group,
        case when s.snapshot_date is not null then coalesce(h.headcount, 0) end as headcount,
        coalesce(c.respondents, 0) as respondents
    from waves as w
    cross join (select unnest(['förtroendevald', 'chef', 'medarbetare', 'alla'])
                as target_group) as g
    left join snapshot_for_wave as s using (municipality_code, wave)
    left join headcount as h using (municipality_code, wave, target_group)
    left join counted as c using (municipality_code, wave, target_group)
)
select
    municipality_code, wave, target_group, headcount, respondents,
    case when headcount > 0 then 100.0 * respondents / headcount end::double
        as response_rate_pct,
    (respondents > 0 and respondents < {{MIN_CELL}})
        or coalesce(headcount < {{MIN_CELL}}, false) as suppressed
from joined;

-- =========================================================================================
-- fct_training_coverage: per municipality × month × target group × gender ('alla'); the
-- persons of the latest HR snapshot on or before the month's last day, and those of them
-- with a completed (or passed) course on or before that day
-- =========================================================================================
create table baseline_training_coverage as
with snapshots as (select distinct municipality_code, snapshot_date from persons),
months as (
    select
        s.municipality_code,
        unnest(generate_series(
            date_trunc('month', min(s.snapshot_date)),
            date_trunc('month', greatest(max(s.snapshot_date),
                                         coalesce(max(c.last_completed), max(s.snapshot_date)))),
            interval 1 month)) as month_start
    from snapshots as s
    left join (select municipality_code, max(first_completed_at) as last_completed
               from completions group by all) as c using (municipality_code)
    group by s.municipality_code
),
month_snapshot as (
    select m.municipality_code, m.month_start::date as month_start,
           last_day(m.month_start)::date as month_end, max(s.snapshot_date) as snapshot_date
    from months as m
    join snapshots as s
        on s.municipality_code = m.municipality_code
        and s.snapshot_date <= last_day(m.month_start)
    group by all
),
counted as (
    select
        ms.municipality_code,
        strftime(ms.month_start, '%Y-%m') as period,
        coalesce(p.target_group, 'alla') as target_group,
        coalesce(p.gender, 'alla') as gender,
        count(*) as headcount,
        count(*) filter (where c.first_completed_at <= ms.month_end) as trained_persons
    from month_snapshot as ms
    join persons as p using (municipality_code, snapshot_date)
    left join completions as c using (municipality_code, pnr12)
    group by grouping sets (
        (ms.municipality_code, ms.month_start, p.target_group, p.gender),
        (ms.municipality_code, ms.month_start, p.target_group),
        (ms.municipality_code, ms.month_start, p.gender),
        (ms.municipality_code, ms.month_start)
    )
)
select
    municipality_code, period, target_group, gender, headcount, trained_persons,
    (100.0 * trained_persons / headcount)::double as coverage_pct,
    headcount < {{MIN_CELL}} or (trained_persons > 0 and trained_persons < {{MIN_CELL}})
        as suppressed
from counted;
