select
    f.municipality_code,
    m.kommun,
    f.period,
    f.course_code,
    f.course_name,
    f.format,
    f.target_group,
    f.gender,
    f.persons_completed,
    {{ reporting_text('f.persons_completed', 'f.suppressed', 0) }} as genomfort_text,
    f.suppressed
from {{ ref('fct_training_completions') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
