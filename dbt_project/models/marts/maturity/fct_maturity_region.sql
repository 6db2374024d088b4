{#-
  The regional average to compare with: per county (län), wave, instrument, target group
  and (dimension, category), over the county's municipalities in fct_maturity.

  Built only from published (unsuppressed) municipality cells, so it reveals nothing the
  municipality rows do not: respondents = the sum of the shown cells' respondents,
  score_pct = their respondent-weighted mean (of the published, unrounded scores),
  municipalities = how many municipality cells it covers. A county total over all
  respondents would let a hidden municipality be recovered by subtraction.
  suppressed = true when no municipality cell of the county is shown.
-#}
{{ config(materialized='view') }}

with cells as (
    select m.*, d.county_code, d.county_name
    from {{ ref('fct_maturity') }} as m
    inner join {{ ref('dim_municipality') }} as d on m.municipality_code = d.municipality_code
)

select
    county_code,
    county_name,
    wave,
    instrument,
    target_group,
    dimension,
    category,
    count(*) filter (where not suppressed)::integer as municipalities,
    sum(respondents) filter (where not suppressed)::integer as respondents,
    -- the sum in DECIMAL (12 decimals of each score, far below any shown digit) is exact,
    -- so the mean does not depend on the order rows are summed in (a DOUBLE sum does: an
    -- incremental and a full build would differ in the last bits)
    (
        sum(respondents * cast(score_pct as decimal(38, 12))) filter (where not suppressed)
        / sum(respondents) filter (where not suppressed)
    )::double as score_pct,
    count(*) filter (where not suppressed) = 0 as suppressed
from cells
group by county_code, county_name, wave, instrument, target_group, dimension, category
