select
    f.municipality_code,
    m.kommun,
    f.wave,
    f.instrument,
    f.dimension,
    f.category,
    f.score_pct,
    f.region_score_pct,
    f.diff_pct_points,
    coalesce(f.profile, '–') as profil,
    {{ reporting_text('f.score_pct', 'f.suppressed') }} as mognadsindex_text,
    {{ reporting_text('f.diff_pct_points', 'f.suppressed') }} as skillnad_text,
    f.suppressed
from {{ ref('fct_category_profile') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
