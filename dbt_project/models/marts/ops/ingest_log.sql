-- Every ingest attempt, for the county's follow-up of deliveries (CONTRACT §6).
select
    municipality_code,
    feed,
    file,
    sha256,
    status,
    rows_read,
    rows_loaded,
    rows_rejected,
    received_at,
    attempt_id,
    load_id,
    reason
from {{ ref('stg_ingest__attempts') }}
