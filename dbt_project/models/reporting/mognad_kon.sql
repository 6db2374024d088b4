select
    f.municipality_code,
    m.kommun,
    f.wave,
    f.wave = l.latest_wave as senaste,
    f.instrument,
    f.target_group,
    f.gender,
    f.dimension,
    f.category,
    f.respondents,
    f.score_pct,
    {{ reporting_text('f.score_pct', 'f.suppressed') }} as mognadsindex_text,
    {{ reporting_text('f.respondents', 'f.suppressed', 0) }} as svarande_text,
    f.suppressed
from {{ ref('fct_maturity_gender') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
inner join {{ ref('rpt__latest_wave') }} as l
    on f.municipality_code = l.municipality_code and f.instrument = l.instrument
