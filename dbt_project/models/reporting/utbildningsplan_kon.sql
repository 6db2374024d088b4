select
    f.municipality_code,
    m.kommun,
    p.step_order,
    f.step,
    m.kommun || ': ' || f.step as steg_i_kommun,
    f.gender,
    f.target_group,
    f.due_on,
    f.coverage_pct,
    {{ reporting_text('f.coverage_pct', 'f.suppressed') }} as tackning_text,
    f.suppressed
from {{ ref('fct_training_plan_gender') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
inner join {{ ref('fct_training_plan') }} as p
    on f.municipality_code = p.municipality_code and f.step = p.step
