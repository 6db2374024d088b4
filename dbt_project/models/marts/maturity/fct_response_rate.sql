{#-
  Response rate per municipality, survey wave and target group ('alla' = total).
  headcount: persons in the latest HR snapshot on or before 31 December of the wave (NULL
  when the municipality has no such snapshot); respondents: persons who answered any
  instrument that wave. Disclosure control: when 0 < respondents < min_cell or
  headcount < min_cell, headcount, respondents and the rate are NULL and suppressed true;
  secondary suppression (macro secondary_suppression) hides a second target group where
  the first could be recovered from 'alla' minus the others.
-#}
{%- set min_cell = var('min_cell') | int -%}

with waves as (
    select distinct municipality_code, wave from {{ ref('stg_survey__answers') }}
),

groups as (
    select unnest(['förtroendevald', 'chef', 'medarbetare', 'alla']) as target_group
),

snapshot_for_wave as (
    select w.municipality_code, w.wave, max(p.snapshot_date) as snapshot_date
    from waves as w
    inner join {{ ref('int_hr__snapshot_persons') }} as p
        on w.municipality_code = p.municipality_code
        and p.snapshot_date <= make_date(w.wave, 12, 31)
    group by w.municipality_code, w.wave
),

headcount as (
    select
        s.municipality_code, s.wave, coalesce(p.target_group, 'alla') as target_group,
        count(distinct p.person_key) as headcount
    from snapshot_for_wave as s
    inner join {{ ref('int_hr__snapshot_persons') }} as p
        on s.municipality_code = p.municipality_code and s.snapshot_date = p.snapshot_date
    group by grouping sets (
        (s.municipality_code, s.wave, p.target_group),
        (s.municipality_code, s.wave)
    )
),

respondents as (
    select
        municipality_code, wave, coalesce(target_group, 'alla') as target_group,
        count(distinct respondent_key) as respondents
    from {{ ref('stg_survey__answers') }}
    group by grouping sets ((municipality_code, wave, target_group), (municipality_code, wave))
),

joined as (
    select
        w.municipality_code,
        w.wave,
        g.target_group,
        case when s.snapshot_date is not null then coalesce(h.headcount, 0) end as headcount,
        coalesce(r.respondents, 0) as respondents
    from waves as w
    cross join groups as g
    left join snapshot_for_wave as s
        on w.municipality_code = s.municipality_code and w.wave = s.wave
    left join headcount as h
        on w.municipality_code = h.municipality_code
        and w.wave = h.wave and g.target_group = h.target_group
    left join respondents as r
        on w.municipality_code = r.municipality_code
        and w.wave = r.wave and g.target_group = r.target_group
),

flagged as (
    select
        *,
        respondents + coalesce(headcount, 0) as n,
        (respondents > 0 and respondents < {{ min_cell }})
        or coalesce(headcount < {{ min_cell }}, false) as suppressed
    from joined
),

protected as (
    {{ secondary_suppression('flagged', ['municipality_code', 'wave'], ['target_group'], 'n') }}
)

select
    municipality_code,
    wave,
    target_group,
    case when not suppressed then headcount end::integer as headcount,
    case when not suppressed then respondents end::integer as respondents,
    case
        when not suppressed and headcount > 0 then 100.0 * respondents / headcount
    end::double as response_rate_pct,
    suppressed
from protected
