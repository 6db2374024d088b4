{#-
  Every file that did not reach the marts, with why: quarantined at ingest (reason_code =
  the ledger's problem code) or loaded but failed by the raw-batch quality gate
  (reason_code 'quality_failed', reason = the failed expectations).
-#}
with attempts as (
    select * from {{ ref('stg_ingest__attempts') }}
),

checks as (
    select * from {{ ref('stg_ingest__batch_checks') }}
)

select
    municipality_code,
    feed,
    file,
    received_at,
    coalesce(nullif(split_part(reason, ':', 1), ''), 'unknown') as reason_code,
    reason
from attempts
where status = 'quarantined'

union all

select
    a.municipality_code,
    a.feed,
    a.file,
    a.received_at,
    'quality_failed' as reason_code,
    'Kvalitetskontroll underkänd / quality check failed: ' || c.failed_expectations as reason
from attempts as a
inner join checks as c on a.load_id = c.load_id
where a.status = 'loaded' and not c.success
