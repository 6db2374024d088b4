{#- fct_maturity_progress keeps a shown wave's score on a row that is suppressed for the
    other wave; the dashboards hide the whole row then (selection, no new number). -#}
select
    f.municipality_code,
    m.kommun,
    f.instrument,
    f.target_group,
    f.dimension,
    f.category,
    f.baseline_wave,
    f.wave,
    f.wave = l.latest_wave as senaste,
    f.baseline_score_pct,
    case when not f.suppressed then f.score_pct end as score_pct,
    f.change_pct_points,
    {{ reporting_text('f.baseline_score_pct', 'f.suppressed') }} as nollmatning_text,
    {{ reporting_text('f.score_pct', 'f.suppressed') }} as senaste_text,
    {{ reporting_text('f.change_pct_points', 'f.suppressed') }} as forandring_text,
    f.suppressed
from {{ ref('fct_maturity_progress') }} as f
inner join {{ ref('rpt__kommun') }} as m on f.municipality_code = m.municipality_code
inner join {{ ref('rpt__latest_wave') }} as l
    on f.municipality_code = l.municipality_code and f.instrument = l.instrument
