{#-
  Maturity by gender (the programme's jämställdhet criterion): fct_maturity's cells split
  by kön (kvinna, man, annat, ej angivet; 'alla' = all). The gender = 'alla' rows equal
  fct_maturity. Disclosure control: see int_maturity__cells (primary below min_cell,
  secondary over target group and gender).
-#}
select
    municipality_code,
    wave,
    instrument,
    target_group,
    gender,
    dimension,
    category,
    respondents,
    score_pct,
    suppressed
from {{ ref('int_maturity__cells') }}
