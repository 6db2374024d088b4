{#-
  Training coverage per municipality, month (YYYY-MM), target group and gender ('alla' =
  total). headcount: persons in the latest HR snapshot on or before the month's last day;
  trained_persons: those of them with a completed (or passed) course on or before that day,
  so coverage is cumulative since the programme started. Months run from the
  municipality's first HR snapshot to its latest snapshot or completion.
  Disclosure control: when headcount < min_cell or 0 < trained_persons < min_cell, the
  counts and the coverage are NULL and suppressed true; secondary suppression (macro
  secondary_suppression, over target group and gender) hides further cells wherever a
  hidden one could be recovered from a total or its siblings.
-#}
{%- set min_cell = var('min_cell') | int -%}

with persons as (
    select * from {{ ref('int_hr__snapshot_persons') }}
),

completions as (
    select municipality_code, person_key, min(completed_at) as first_completed_at
    from {{ ref('stg_training__events') }}
    where completed and completed_at is not null
    group by municipality_code, person_key
),

last_completion as (
    select municipality_code, max(first_completed_at) as last_completed_at
    from completions
    group by municipality_code
),

bounds as (
    -- one row per municipality: never join persons to completions here (that is a
    -- persons × completions product per municipality)
    select
        p.municipality_code,
        date_trunc('month', min(p.snapshot_date)) as first_month,
        date_trunc('month', greatest(
            max(p.snapshot_date),
            coalesce(any_value(c.last_completed_at), max(p.snapshot_date))
        )) as last_month
    from persons as p
    left join last_completion as c on p.municipality_code = c.municipality_code
    group by p.municipality_code
),

periods as (
    select
        b.municipality_code,
        cast(m.month as date) as month_start,
        cast(last_day(m.month) as date) as month_end
    from bounds as b,
        lateral (
            select unnest(generate_series(b.first_month, b.last_month, interval 1 month)) as month
        ) as m
),

snapshot_dates as (
    -- the inequality join below runs on distinct snapshot dates, not on every person row
    select distinct municipality_code, snapshot_date from persons
),

snapshot_for_period as (
    select pe.municipality_code, pe.month_start, pe.month_end, max(p.snapshot_date) as snapshot_date
    from periods as pe
    inner join snapshot_dates as p
        on pe.municipality_code = p.municipality_code and p.snapshot_date <= pe.month_end
    group by all
),

counted as (
    select
        s.municipality_code,
        strftime(s.month_start, '%Y-%m') as period,
        coalesce(p.target_group, 'alla') as target_group,
        coalesce(p.gender, 'alla') as gender,
        -- a person is one row here: int_hr__snapshot_persons is unique per municipality,
        -- snapshot and person (tested), one snapshot per month, completions one row per
        -- person; so count(*) is the distinct count, without DISTINCT's per-group hash
        -- tables (which ran out of memory at national scale)
        count(*) as headcount,
        count(*) filter (where c.first_completed_at <= s.month_end) as trained_persons
    from snapshot_for_period as s
    inner join persons as p
        on s.municipality_code = p.municipality_code and s.snapshot_date = p.snapshot_date
    left join completions as c
        on p.municipality_code = c.municipality_code and p.person_key = c.person_key
    group by grouping sets (
        (s.municipality_code, s.month_start, p.target_group, p.gender),
        (s.municipality_code, s.month_start, p.target_group),
        (s.municipality_code, s.month_start, p.gender),
        (s.municipality_code, s.month_start)
    )
),

flagged as (
    select
        *,
        headcount < {{ min_cell }}
        or (trained_persons > 0 and trained_persons < {{ min_cell }}) as suppressed
    from counted
),

protected as (
    {{ secondary_suppression(
        'flagged', ['municipality_code', 'period'], ['target_group', 'gender'], 'headcount'
    ) }}
)

select
    municipality_code,
    period,
    target_group,
    gender,
    case when not suppressed then headcount end::integer as headcount,
    case when not suppressed then trained_persons end::integer as trained_persons,
    case
        when not suppressed then 100.0 * trained_persons / headcount
    end::double as coverage_pct,
    suppressed
from protected
