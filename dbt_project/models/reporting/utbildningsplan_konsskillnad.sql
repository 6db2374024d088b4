{#- Women's and men's coverage per step side by side, as fct_training_plan_gender shows them,
    and the gap between the two shown percentages; hidden when either is hidden. -#}
with g as (
    select
        municipality_code,
        step,
        max(case when gender = 'kvinna' and not suppressed then coverage_pct end) as kvinnor,
        max(case when gender = 'man' and not suppressed then coverage_pct end) as man,
        bool_or(gender = 'kvinna' and suppressed) or not bool_or(gender = 'kvinna') as kvinnor_dold,
        bool_or(gender = 'man' and suppressed) or not bool_or(gender = 'man') as man_dold
    from {{ ref('fct_training_plan_gender') }}
    group by municipality_code, step
)

select
    g.municipality_code,
    m.kommun,
    p.step_order,
    g.step,
    p.target_group,
    coalesce(p.department, 'hela kommunen') as department,
    g.kvinnor as kvinnor_pct,
    g.man as man_pct,
    g.kvinnor - g.man as skillnad_pct_points,
    {{ reporting_text('g.kvinnor', 'g.kvinnor_dold') }} as kvinnor_text,
    {{ reporting_text('g.man', 'g.man_dold') }} as man_text,
    {{ reporting_text('g.kvinnor - g.man', 'g.kvinnor_dold or g.man_dold') }} as skillnad_text,
    case when abs(g.kvinnor - g.man) > 10 then 'över 10 p.e.' else '' end as markering
from g
inner join {{ ref('rpt__kommun') }} as m on g.municipality_code = m.municipality_code
inner join {{ ref('fct_training_plan') }} as p
    on g.municipality_code = p.municipality_code and g.step = p.step
