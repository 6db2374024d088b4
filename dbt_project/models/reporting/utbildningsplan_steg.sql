{#- mot_mal_pct_points: the shown coverage against the plan's target, both as the mart
    publishes them (NULL when the step is hidden). -#}
select
    f.municipality_code,
    m.kommun,
    f.step_order,
    f.step,
    m.kommun || ': ' || f.step as steg_i_kommun,
    f.target_group,
    coalesce(f.department, 'hela kommunen') as department,
    f.course_codes,
    f.starts_on,
    f.due_on,
    strftime(f.due_on, '%Y-%m-%d') as slutdatum,
    f.target_pct,
    f.headcount,
    f.completed_persons,
    f.coverage_pct,
    f.coverage_pct - f.target_pct as mot_mal_pct_points,
    case when f.suppressed then '..' else f.status end as status,
    coalesce(f.after_step, '') as after_step,
    f.in_order_pct,
    {{ reporting_text('f.coverage_pct', 'f.suppressed') }} as tackning_text,
    {{ reporting_text('f.target_pct') }} as mal_text,
    {{ reporting_text('f.headcount', 'f.suppressed', 0) }} as population_text,
    case
        when f.after_step is null then ''
        else {{ reporting_text('f.in_order_pct', 'f.in_order_suppressed') }}
    end as ordning_text,
    f.suppressed
from {{ ref('fct_training_plan') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
