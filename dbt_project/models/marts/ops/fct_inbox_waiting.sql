{#-
  Files that wait in a municipality's inbox when the build ran: how long since each last
  changed, and whether it is stale (settled and still not taken after
  MOGNAD_STALE_INBOX_MINUTES — an alarm for the county's data team). Files under a folder
  that is no municipality are left out here (ingest quarantines them when it runs).
-#}
select
    municipality_code,
    feed,
    file,
    modified_at,
    waiting_minutes,
    settled,
    stale
from {{ ref('stg_ingest__inbox_waiting') }}
where municipality_code in (select municipality_code from {{ ref('dim_municipality') }})
