{#-
  Population per municipality and year from Kolada (KPI var('population_kpi'), N01951
  "Invånare totalt, antal", gender 'alla'), for per-capita views. When a year was pulled
  more than once, the latest pull wins. Empty until Kolada data is pulled.
-#}
select
    municipality_code,
    year,
    arg_max(value, (received_at, load_id))::bigint as population,
    'Kolada' as source
from {{ ref('stg_kolada__values') }}
where kpi = '{{ var("population_kpi") }}'
    and gender = 'alla'
    and value is not null
group by municipality_code, year
