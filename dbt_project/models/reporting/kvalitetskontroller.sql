select
    f.municipality_code,
    m.kommun,
    f.feed,
    f.load_id,
    f.file,
    strftime(f.checked_at, '%Y-%m-%d %H:%M') as kontrollerad,
    case when f.success then 'godkänd' else 'underkänd' end as resultat,
    cast(f.failed_expectations as varchar) as misslyckade_kontroller
from {{ ref('fct_batch_checks') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
