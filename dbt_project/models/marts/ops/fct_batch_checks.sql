-- The raw-batch quality gate's verdict on every load (write-audit-publish, step "audit").
select
    municipality_code,
    feed,
    load_id,
    file,
    checked_at,
    success,
    failed_expectations
from {{ ref('stg_ingest__batch_checks') }}
