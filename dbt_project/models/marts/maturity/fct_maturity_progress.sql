{#-
  Change since the 0-mätning: each cell of fct_maturity compared with the same cell in the
  municipality's first wave of that instrument (its baseline). The baseline wave itself is a
  row too (change 0). A row is suppressed when the cell is suppressed in either wave; then
  the hidden wave's score and the change are NULL.
-#}
{{ config(materialized='view') }}

with maturity as (
    select * from {{ ref('fct_maturity') }}
),

baselines as (
    select municipality_code, instrument, min(wave) as baseline_wave
    from maturity
    group by municipality_code, instrument
)

select
    cur.municipality_code,
    cur.instrument,
    cur.target_group,
    cur.dimension,
    cur.category,
    b.baseline_wave,
    cur.wave,
    base.score_pct as baseline_score_pct,
    cur.score_pct,
    cur.score_pct - base.score_pct as change_pct_points,
    cur.suppressed or base.suppressed as suppressed
from maturity as cur
inner join baselines as b
    on cur.municipality_code = b.municipality_code and cur.instrument = b.instrument
inner join maturity as base
    on base.municipality_code = cur.municipality_code
    and base.instrument = cur.instrument
    and base.wave = b.baseline_wave
    and base.target_group = cur.target_group
    and base.dimension = cur.dimension
    and base.category = cur.category
