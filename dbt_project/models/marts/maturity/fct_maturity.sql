{#-
  Maturity per municipality, wave, instrument, target group and (dimension, category),
  with totals as rows ('alla'). Every cell of the codebook appears for every
  (municipality, wave, instrument) that has survey data, also when nobody scored in it.

  Disclosure control: a cell with fewer than var('min_cell') respondents is published
  with respondents and score_pct NULL and suppressed = true.
  TODO (later issue): secondary suppression — where a hidden group could be recovered from
  'alla' minus the other groups, hide a second cell too (CONTRACT §4).
-#}
{%- set min_cell = var('min_cell') | int -%}

with scores as (
    select * from {{ ref('int_maturity__respondent_scores') }}
),

measured as (
    select distinct municipality_code, wave, instrument
    from {{ ref('stg_survey__answers') }}
),

target_groups as (
    select unnest(['förtroendevald', 'chef', 'medarbetare', 'alla']) as target_group
),

cells as (
    select distinct instrument, dimension, category from {{ ref('codebook') }}
    union
    select distinct instrument, dimension, 'alla' from {{ ref('codebook') }}
    union
    select distinct instrument, 'alla', 'alla' from {{ ref('codebook') }}
),

spine as (
    select m.municipality_code, m.wave, m.instrument, g.target_group, c.dimension, c.category
    from measured as m
    inner join cells as c on m.instrument = c.instrument
    cross join target_groups as g
),

by_group as (
    select
        municipality_code, wave, instrument, target_group, dimension, category,
        count(distinct respondent_key) as respondents,
        avg(score) as score
    from scores
    group by all
),

all_groups as (
    select
        municipality_code, wave, instrument,
        'alla' as target_group,
        dimension, category,
        count(distinct respondent_key) as respondents,
        avg(score) as score
    from scores
    group by all
),

aggregated as (
    select * from by_group
    union all by name
    select * from all_groups
),

joined as (
    select
        spine.*,
        coalesce(a.respondents, 0) as respondents,
        a.score
    from spine
    left join aggregated as a
        on spine.municipality_code = a.municipality_code
        and spine.wave = a.wave
        and spine.instrument = a.instrument
        and spine.target_group = a.target_group
        and spine.dimension = a.dimension
        and spine.category = a.category
)

select
    municipality_code,
    wave,
    instrument,
    target_group,
    dimension,
    category,
    case when respondents >= {{ min_cell }} then respondents end::integer as respondents,
    case when respondents >= {{ min_cell }} then round(score, 1) end::double as score_pct,
    respondents < {{ min_cell }} as suppressed
from joined
