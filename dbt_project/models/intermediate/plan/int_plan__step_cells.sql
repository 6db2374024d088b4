{#-
  The counts behind fct_training_plan and fct_training_plan_gender, one row per step of a
  current plan and gender ('alla' = the step's total), with disclosure control applied.

  - as_of ("today"): the var plan_today (YYYY-MM-DD; env MOGNAD_PLAN_TODAY) or, when it is
    empty, today's date in Europe/Stockholm.
  - Population: the persons of the step's target group ('alla' = every target group) in the
    municipality's latest HR snapshot on or before least(due_on, as_of); with a department,
    those with an employment in it in that snapshot (matched case-insensitively, trimmed).
    A person counts once (int_hr__snapshot_persons), with that snapshot's target group and
    gender.
  - completed_persons: those with a completed or passed event of any of the step's courses
    on or before due_on.
  - in_order_persons (steps whose after_step is a step of the same current plan): completers
    whose first completion of the earlier step's courses is on or before their first
    completion of this step's courses.
  - suppressed: headcount < min_cell or 0 < completed_persons < min_cell, then secondary
    suppression over gender within each step (macro secondary_suppression), so a hidden
    gender cell can never be recovered from the step's total and the other genders.
-#}
{%- set min_cell = var('min_cell') | int -%}
{%- set today = var('plan_today', '') | string | trim -%}

with steps as (
    select
        s.*,
        {% if today -%}
        cast('{{ today | replace("'", "''") }}' as date)
        {%- else -%}
        cast(timezone('Europe/Stockholm', now()) as date)
        {%- endif %} as as_of,
        a.step is not null as after_known
    from {{ ref('int_plan__current_steps') }} as s
    left join {{ ref('int_plan__current_steps') }} as a
        on s.municipality_code = a.municipality_code and s.after_step = a.step
),

snapshot_dates as (
    select distinct municipality_code, snapshot_date
    from {{ ref('int_hr__snapshot_persons') }}
),

step_snapshot as (
    select s.municipality_code, s.step, max(d.snapshot_date) as snapshot_date
    from steps as s
    left join snapshot_dates as d
        on s.municipality_code = d.municipality_code
        and d.snapshot_date <= least(s.due_on, s.as_of)
    group by s.municipality_code, s.step
),

department_persons as (
    select distinct
        municipality_code, snapshot_date, person_key, lower(trim(department)) as department_key
    from {{ ref('stg_hr__employments') }}
    where department is not null
),

population as (
    select s.municipality_code, s.step, p.person_key, p.gender
    from steps as s
    inner join step_snapshot as ss
        on s.municipality_code = ss.municipality_code and s.step = ss.step
    inner join {{ ref('int_hr__snapshot_persons') }} as p
        on p.municipality_code = ss.municipality_code
        and p.snapshot_date = ss.snapshot_date
        and (s.target_group = 'alla' or p.target_group = s.target_group)
    left join department_persons as d
        on d.municipality_code = p.municipality_code
        and d.snapshot_date = p.snapshot_date
        and d.person_key = p.person_key
        and d.department_key = lower(trim(s.department))
    where s.department is null or d.person_key is not null
),

completions as (
    select
        municipality_code,
        person_key,
        trim(course_code) as course_code,
        min(completed_at) as first_at
    from {{ ref('stg_training__events') }}
    where completed and completed_at is not null
    group by all
),

step_firsts as (
    -- a person's first completion of any of the step's courses
    select c.municipality_code, c.step, e.person_key, min(e.first_at) as first_at
    from {{ ref('int_plan__step_courses') }} as c
    inner join completions as e
        on c.municipality_code = e.municipality_code and c.course_code = e.course_code
    group by c.municipality_code, c.step, e.person_key
),

persons as (
    select
        p.municipality_code,
        p.step,
        p.person_key,
        p.gender,
        coalesce(f.first_at <= s.due_on, false) as completed,
        coalesce(f.first_at <= s.due_on and a.first_at <= f.first_at, false) as in_order
    from population as p
    inner join steps as s on p.municipality_code = s.municipality_code and p.step = s.step
    left join step_firsts as f
        on p.municipality_code = f.municipality_code
        and p.step = f.step
        and p.person_key = f.person_key
    left join step_firsts as a
        on p.municipality_code = a.municipality_code
        and s.after_step = a.step
        and p.person_key = a.person_key
),

counted as (
    -- every step has its 'alla' row, also when nobody is in its population
    select
        s.municipality_code,
        s.step,
        case when grouping(p.gender) = 1 then 'alla' else p.gender end as gender,
        count(p.person_key) as headcount,
        count(p.person_key) filter (where p.completed) as completed_persons,
        count(p.person_key) filter (where p.in_order) as in_order_persons
    from steps as s
    left join persons as p on s.municipality_code = p.municipality_code and s.step = p.step
    group by grouping sets ((s.municipality_code, s.step, p.gender), (s.municipality_code, s.step))
    having grouping(p.gender) = 1 or p.gender is not null
),

flagged as (
    select
        *,
        headcount < {{ min_cell }}
        or (completed_persons > 0 and completed_persons < {{ min_cell }}) as suppressed
    from counted
),

protected as (
    {{ secondary_suppression('flagged', ['municipality_code', 'step'], ['gender'], 'headcount') }}
)

select
    c.municipality_code,
    c.step,
    c.gender,
    s.target_group,
    s.department,
    s.course_codes,
    s.starts_on,
    s.due_on,
    s.target_pct,
    s.after_step,
    s.after_known,
    s.as_of,
    ss.snapshot_date,
    c.headcount,
    c.completed_persons,
    c.in_order_persons,
    c.suppressed
from protected as c
inner join steps as s on c.municipality_code = s.municipality_code and c.step = s.step
inner join step_snapshot as ss on c.municipality_code = ss.municipality_code and c.step = ss.step
