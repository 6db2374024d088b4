{#-
  Strengths and weaknesses per municipality: each category's score for all respondents
  (target_group = 'alla') beside the county's average (fct_maturity_region), the difference
  in percentage points, and a profile: 'styrka' when the municipality is at least
  var('profile_threshold') points above the county, 'svaghet' when at least that far below,
  else NULL. Suppressed (scores, diff and profile NULL) when the municipality's cell is.
-#}
{{ config(materialized='view') }}

{%- set threshold = var('profile_threshold') | float -%}

with maturity as (
    select m.*, d.county_code
    from {{ ref('fct_maturity') }} as m
    inner join {{ ref('dim_municipality') }} as d on m.municipality_code = d.municipality_code
    where m.target_group = 'alla' and m.category <> 'alla'
),

region as (
    select * from {{ ref('fct_maturity_region') }}
    where target_group = 'alla' and category <> 'alla'
),

compared as (
    select
        m.municipality_code,
        m.wave,
        m.instrument,
        m.dimension,
        m.category,
        m.score_pct,
        r.score_pct as region_score_pct,
        m.score_pct - r.score_pct as diff_pct_points,
        m.suppressed
    from maturity as m
    left join region as r
        on m.county_code = r.county_code
        and m.wave = r.wave
        and m.instrument = r.instrument
        and m.dimension = r.dimension
        and m.category = r.category
)

select
    municipality_code,
    wave,
    instrument,
    dimension,
    category,
    score_pct,
    case when not suppressed then region_score_pct end::double as region_score_pct,
    diff_pct_points::double as diff_pct_points,
    case
        when diff_pct_points >= {{ threshold }} then 'styrka'
        when diff_pct_points <= -{{ threshold }} then 'svaghet'
    end as profile,
    suppressed
from compared
