{#-
  Deliveries per municipality and feed for the operations dashboard: the latest file and
  its status, days since the latest delivery (any status, counted to the build's date),
  and how many files were loaded, duplicates or quarantined, with their rows. A loaded
  file that failed the raw-batch quality gate counts as quarantined here (its rows never
  reached the marts); last_status then reads 'quality_failed'.
-#}
with attempts as (
    select
        a.*,
        case
            when a.status = 'loaded' and b.success = false then 'quality_failed'
            else a.status
        end as effective_status
    from {{ ref('stg_ingest__attempts') }} as a
    left join {{ ref('stg_ingest__batch_checks') }} as b on a.load_id = b.load_id
    where a.municipality_code in (select municipality_code from {{ ref('dim_municipality') }})
)

select
    municipality_code,
    feed,
    arg_max(file, (received_at, attempt_id)) as last_file,
    arg_max(effective_status, (received_at, attempt_id)) as last_status,
    max(received_at) as last_received_at,
    date_diff('day', cast(max(received_at) as date), current_date)::integer
        as days_since_last_delivery,
    count(*) filter (where effective_status = 'loaded')::integer as files_loaded,
    count(*) filter (where effective_status = 'duplicate')::integer as files_duplicate,
    count(*) filter (where effective_status in ('quarantined', 'quality_failed'))::integer
        as files_quarantined,
    coalesce(sum(rows_loaded) filter (where effective_status = 'loaded'), 0)::bigint
        as rows_loaded,
    coalesce(sum(rows_rejected), 0)::bigint as rows_rejected
from attempts
group by municipality_code, feed
