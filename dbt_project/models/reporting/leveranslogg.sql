select
    f.municipality_code,
    m.kommun,
    f.feed,
    f.file,
    f.status,
    f.rows_read,
    f.rows_loaded,
    f.rows_rejected,
    f.received_at,
    f.reason
from {{ ref('ingest_log') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
