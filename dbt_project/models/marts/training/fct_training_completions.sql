{#-
  Persons who completed (or passed) a course, per municipality, month (YYYY-MM) and course,
  by target group and gender ('alla' = total; course_code 'alla' = any course). A person
  counts once per course (their first completion of it) in the month of that completion;
  under course 'alla', once per month however many courses they completed.

  Target group and gender come from the person's HR record: the latest snapshot on or
  before the month's last day, else their first later snapshot; persons missing from HR
  are 'okänd' / 'ej angivet'. format and course_name describe the course (its most common
  format and any stated name). Combinations with nobody in them have no row.
  Disclosure control: persons_completed below min_cell is hidden (NULL, suppressed true),
  plus secondary suppression over target group and gender.
-#}
{%- set min_cell = var('min_cell') | int -%}

with events as (
    select * from {{ ref('stg_training__events') }}
    where completed and completed_at is not null
),

course_formats as (
    select municipality_code, course_code, format, count(*) as n
    from {{ ref('stg_training__events') }}
    where format is not null
    group by all
),

courses as (
    -- the most common format (ties: alphabetically first), deterministic in any row order
    select
        e.municipality_code,
        e.course_code,
        max(e.course_name) as course_name,
        coalesce(
            (
                select f.format from course_formats as f
                where f.municipality_code = e.municipality_code and f.course_code = e.course_code
                order by f.n desc, f.format limit 1
            ),
            'other'
        ) as format
    from {{ ref('stg_training__events') }} as e
    group by e.municipality_code, e.course_code
),

firsts as (
    select
        municipality_code,
        person_key,
        course_code,
        min(completed_at) as completed_at,
        cast(last_day(min(completed_at)) as date) as month_end
    from events
    group by municipality_code, person_key, course_code
),

persons as (
    select * from {{ ref('int_hr__snapshot_persons') }}
),

classified as (
    select
        f.*,
        coalesce(
            arg_max(p.target_group, p.snapshot_date) filter (where p.snapshot_date <= f.month_end),
            arg_min(p.target_group, p.snapshot_date),
            'okänd'
        ) as target_group,
        coalesce(
            arg_max(p.gender, p.snapshot_date) filter (where p.snapshot_date <= f.month_end),
            arg_min(p.gender, p.snapshot_date),
            'ej angivet'
        ) as gender
    from firsts as f
    left join persons as p
        on f.municipality_code = p.municipality_code and f.person_key = p.person_key
    group by all
),

counted as (
    select
        municipality_code,
        strftime(month_end, '%Y-%m') as period,
        coalesce(course_code, 'alla') as course_code,
        coalesce(target_group, 'alla') as target_group,
        coalesce(gender, 'alla') as gender,
        count(distinct person_key) as persons
    from classified
    group by grouping sets (
        (municipality_code, month_end, course_code, target_group, gender),
        (municipality_code, month_end, course_code, target_group),
        (municipality_code, month_end, course_code, gender),
        (municipality_code, month_end, course_code),
        (municipality_code, month_end, target_group, gender),
        (municipality_code, month_end, target_group),
        (municipality_code, month_end, gender),
        (municipality_code, month_end)
    )
),

flagged as (
    select *, persons < {{ min_cell }} as suppressed
    from counted
),

protected as (
    {{ secondary_suppression(
        'flagged', ['municipality_code', 'period', 'course_code'],
        ['target_group', 'gender'], 'persons'
    ) }}
)

select
    p.municipality_code,
    p.period,
    p.course_code,
    case when p.course_code = 'alla' then 'Alla kurser' else c.course_name end as course_name,
    case when p.course_code = 'alla' then 'alla' else c.format end as format,
    p.target_group,
    p.gender,
    case when not p.suppressed then p.persons end::integer as persons_completed,
    p.suppressed
from protected as p
left join courses as c
    on p.municipality_code = c.municipality_code and p.course_code = c.course_code
