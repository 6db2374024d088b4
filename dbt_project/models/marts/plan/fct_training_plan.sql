{#-
  The training plan followed up against what was done (CONTRACT §6 fct_training_plan): one
  row per step of each municipality's current (latest loaded) plan. Counts and coverage come
  from int_plan__step_cells (the gender 'alla' rows, suppressed exactly like the same rows
  of fct_training_plan_gender). Unrounded percentages.

  - coverage_pct = 100 * completed_persons / headcount.
  - status: 'uppnått' when coverage reaches target_pct; otherwise 'pågår' while as_of is on
    or before due_on, 'ej uppnått' after it. NULL when the row is suppressed: a status would
    tell a hidden small group's coverage against the target.
  - in_order_pct (steps with an after_step of the same plan): 100 * in_order_persons /
    completed_persons. Hidden (NULL, in_order_suppressed true) with the row, and when
    0 < in_order_persons < min_cell (a small group of completers in order).
-#}
{%- set min_cell = var('min_cell') | int -%}

with cells as (
    select * from {{ ref('int_plan__step_cells') }}
    where gender = 'alla'
)

select
    municipality_code,
    step,
    row_number() over (
        partition by municipality_code order by due_on, starts_on nulls first, step
    )::integer as step_order,
    target_group,
    department,
    replace(course_codes, ';', ', ') as course_codes,
    starts_on,
    due_on,
    target_pct,
    case when not suppressed then headcount end::integer as headcount,
    case when not suppressed then completed_persons end::integer as completed_persons,
    case when not suppressed then 100.0 * completed_persons / headcount end::double as coverage_pct,
    case
        when suppressed then null
        when 100.0 * completed_persons / headcount >= target_pct then 'uppnått'
        when as_of <= due_on then 'pågår'
        else 'ej uppnått'
    end as status,
    after_step,
    case
        when suppressed or not after_known or completed_persons = 0 then null
        when in_order_persons > 0 and in_order_persons < {{ min_cell }} then null
        else 100.0 * in_order_persons / completed_persons
    end::double as in_order_pct,
    after_known and (
        suppressed or (in_order_persons > 0 and in_order_persons < {{ min_cell }})
    ) as in_order_suppressed,
    as_of,
    snapshot_date,
    suppressed
from cells
