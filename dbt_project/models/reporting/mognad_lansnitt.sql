select
    county_code,
    county_name as lan,
    wave,
    instrument,
    target_group,
    dimension,
    category,
    municipalities,
    respondents,
    score_pct,
    suppressed
from {{ ref('fct_maturity_region') }}
