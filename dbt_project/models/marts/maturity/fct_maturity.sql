{#-
  Maturity per municipality, wave, instrument, target group and (dimension, category),
  with totals as rows ('alla'). Every cell of the codebook appears for every
  (municipality, wave, instrument) that has survey data, also when nobody scored in it.

  Disclosure control (int_maturity__cells): a cell with fewer than var('min_cell')
  respondents is hidden (respondents and score_pct NULL, suppressed true), and a second
  cell is hidden where the first could be recovered from 'alla' minus the other groups —
  decided together with the gender breakdown (fct_maturity_gender), of which these are
  the gender = 'alla' rows.
-#}
select
    municipality_code,
    wave,
    instrument,
    target_group,
    dimension,
    category,
    respondents,
    score_pct,
    suppressed
from {{ ref('int_maturity__cells') }}
where gender = 'alla'
