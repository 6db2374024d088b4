select
    f.municipality_code,
    m.kommun,
    f.period,
    f.period = l.latest_period as senaste,
    f.target_group,
    f.gender,
    f.headcount,
    f.trained_persons,
    f.coverage_pct,
    {{ reporting_text('f.coverage_pct', 'f.suppressed') }} as tackning_text,
    {{ reporting_text('f.headcount', 'f.suppressed', 0) }} as anstallda_text,
    {{ reporting_text('f.trained_persons', 'f.suppressed', 0) }} as utbildade_text,
    f.suppressed
from {{ ref('fct_training_coverage') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
inner join {{ ref('rpt__latest_month') }} as l on f.municipality_code = l.municipality_code
