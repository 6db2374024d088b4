select
    f.municipality_code,
    m.kommun,
    f.wave,
    f.target_group,
    f.headcount,
    f.respondents,
    f.response_rate_pct,
    {{ reporting_text('f.response_rate_pct', 'f.suppressed') }} as svarsfrekvens_text,
    {{ reporting_text('f.headcount', 'f.suppressed', 0) }} as anstallda_text,
    {{ reporting_text('f.respondents', 'f.suppressed', 0) }} as svarande_text,
    f.suppressed
from {{ ref('fct_response_rate') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
