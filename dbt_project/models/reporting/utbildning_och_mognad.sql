{#- Per municipality and instrument: the change since the 0-mätning in the latest wave
    (everyone, overall index) beside the training coverage of the latest month (everyone). -#}
with prog as (
    select g.*
    from {{ ref('fct_maturity_progress') }} as g
    inner join {{ ref('rpt__latest_wave') }} as l
        on g.municipality_code = l.municipality_code
        and g.instrument = l.instrument
        and g.wave = l.latest_wave
    where g.target_group = 'alla' and g.dimension = 'alla' and g.category = 'alla'
),

cov as (
    select t.*
    from {{ ref('fct_training_coverage') }} as t
    inner join {{ ref('rpt__latest_month') }} as l
        on t.municipality_code = l.municipality_code and t.period = l.latest_period
    where t.target_group = 'alla' and t.gender = 'alla'
)

select
    p.municipality_code,
    m.kommun,
    p.instrument,
    p.baseline_wave,
    p.wave,
    c.period,
    c.coverage_pct,
    p.change_pct_points,
    {{ reporting_text('c.coverage_pct', 'coalesce(c.suppressed, false)') }} as tackning_text,
    {{ reporting_text('p.change_pct_points', 'p.suppressed') }} as forandring_text
from prog as p
inner join {{ ref('rpt__kommun') }} as m on p.municipality_code = m.municipality_code
left join cov as c on p.municipality_code = c.municipality_code
