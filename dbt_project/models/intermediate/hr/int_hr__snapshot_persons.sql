{#-
  One row per person in each HR snapshot of a municipality: a person counts once however
  many employments they hold. A person with several roles is counted in one target group,
  in the order chef, förtroendevald, medarbetare; their gender is the first stated one.
-#}
select
    municipality_code,
    snapshot_date,
    person_key,
    arg_min(
        target_group,
        case target_group when 'chef' then 1 when 'förtroendevald' then 2 else 3 end
    ) as target_group,
    coalesce(
        arg_min(gender, gender) filter (where gender is not null and gender <> 'ej angivet'),
        'ej angivet'
    ) as gender
from {{ ref('stg_hr__employments') }}
group by municipality_code, snapshot_date, person_key
