select
    f.municipality_code,
    m.kommun,
    f.feed,
    f.last_file,
    f.last_status,
    strftime(f.last_received_at, '%Y-%m-%d %H:%M') as senast_mottagen,
    f.days_since_last_delivery,
    f.files_loaded,
    f.files_duplicate,
    f.files_quarantined,
    f.rows_loaded,
    f.rows_rejected
from {{ ref('fct_data_delivery') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
