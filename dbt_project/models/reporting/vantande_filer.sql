select
    f.municipality_code,
    m.kommun,
    f.feed,
    f.file,
    strftime(f.modified_at, '%Y-%m-%d %H:%M') as senast_andrad,
    f.waiting_minutes,
    case when f.stale then 'LARM: tas inte' when f.settled then 'väntar' else 'skrivs' end as lage
from {{ ref('fct_inbox_waiting') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
