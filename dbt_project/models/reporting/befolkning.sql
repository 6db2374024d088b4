{#- senaste = the latest year Kolada has for the county (one year for every municipality). -#}
select
    f.municipality_code,
    m.kommun,
    f.year,
    f.year = (select max(p.year) from {{ ref('dim_population') }} as p) as senaste,
    f.population,
    f.source
from {{ ref('dim_population') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
