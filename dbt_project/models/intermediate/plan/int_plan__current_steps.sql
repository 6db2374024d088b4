{#-
  Each municipality's current training plan: the steps of its latest plan load (CONTRACT §3
  "plan": the latest loaded plan file replaces earlier ones). Latest = the last received
  load, ties broken by load_id, so the choice is deterministic. Earlier plans stay in
  stg_plan__steps, the ledger and the archive.
-#}
with loads as (
    select municipality_code, load_id, max(received_at) as received_at
    from {{ ref('stg_plan__steps') }}
    group by municipality_code, load_id
),

latest as (
    select municipality_code, arg_max(load_id, (received_at, load_id)) as load_id
    from loads
    group by municipality_code
)

select
    s.municipality_code,
    s.load_id,
    s.source_file,
    s.received_at,
    s.source_row,
    s.step,
    s.target_group,
    s.department,
    s.course_codes,
    s.starts_on,
    s.due_on,
    s.target_pct,
    s.after_step
from {{ ref('stg_plan__steps') }} as s
inner join latest as l
    on s.municipality_code = l.municipality_code and s.load_id = l.load_id
