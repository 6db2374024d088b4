{#-
  fct_training_plan per gender (jämställdhet): one row per step of each municipality's
  current plan and gender of its population ('alla' = the step's total, the same row and
  suppression as fct_training_plan). Genders with nobody in the step's population have no
  row. Suppressed like fct_training_plan, plus secondary suppression over gender
  (int_plan__step_cells), so no hidden cell follows from the total and the other genders.
-#}
select
    municipality_code,
    step,
    gender,
    target_group,
    department,
    due_on,
    target_pct,
    case when not suppressed then headcount end::integer as headcount,
    case when not suppressed then completed_persons end::integer as completed_persons,
    case when not suppressed then 100.0 * completed_persons / headcount end::double as coverage_pct,
    suppressed
from {{ ref('int_plan__step_cells') }}
