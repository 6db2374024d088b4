select
    f.municipality_code,
    m.kommun,
    f.feed,
    f.file,
    strftime(f.received_at, '%Y-%m-%d %H:%M') as mottagen,
    f.reason_code,
    f.reason
from {{ ref('fct_quarantine') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
