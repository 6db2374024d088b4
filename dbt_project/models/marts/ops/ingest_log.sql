-- Every ingest attempt, for the county's follow-up of deliveries (CONTRACT §6).
-- A loaded file the raw-batch quality gate failed keeps status 'loaded' (its receipt says
-- so too), and its reason says the rows were held back.
select
    a.municipality_code,
    a.feed,
    a.file,
    a.sha256,
    a.status,
    a.rows_read,
    a.rows_loaded,
    a.rows_rejected,
    a.received_at,
    a.attempt_id,
    a.load_id,
    coalesce(
        a.reason,
        case when b.success = false then 'quality_failed: ' || b.failed_expectations end
    ) as reason
from {{ ref('stg_ingest__attempts') }} as a
left join {{ ref('stg_ingest__batch_checks') }} as b on a.load_id = b.load_id
