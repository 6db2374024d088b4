{#-
  Maturity cells with disclosure control, by target group AND gender (both with 'alla'
  totals): the one place where maturity is suppressed, so fct_maturity (the gender = 'alla'
  rows) and fct_maturity_gender can never disagree about what is hidden.

  Every codebook cell appears for every (municipality, wave, instrument) with survey data,
  for every target group and gender, also when nobody scored in it.
  Primary: fewer than var('min_cell') respondents. Secondary: macro secondary_suppression
  over the lines target_group and gender.

  Incremental per municipality: a municipality's cells depend only on its own
  survey loads (every suppression line lies within one municipality), and staging only
  ever gains whole loads. `survey_loads` records how many loads a municipality's cells
  were computed from; a build recomputes (delete + insert) only the municipalities whose
  count in staging differs. A change to the project or to MOGNAD_MIN_CELL rebuilds all
  (`mognad.build.dbt.run_dbt`: the fingerprint covers both).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='municipality_code',
) }}
{%- set min_cell = var('min_cell') | int -%}

with loads as (
    select municipality_code, count(distinct load_id) as survey_loads
    from {{ ref('stg_survey__answers') }}
    group by municipality_code
),

todo as (
    select l.municipality_code, l.survey_loads
    from loads as l
    {% if is_incremental() -%}
    left join (
        select municipality_code, max(survey_loads) as survey_loads
        from {{ this }}
        group by municipality_code
    ) as done on l.municipality_code = done.municipality_code
    where done.survey_loads is distinct from l.survey_loads
    {%- endif %}
),

scores as (
    select * from {{ ref('int_maturity__respondent_scores') }}
    where municipality_code in (select municipality_code from todo)
),

measured as (
    select distinct municipality_code, wave, instrument
    from {{ ref('stg_survey__answers') }}
    where municipality_code in (select municipality_code from todo)
),

target_groups as (
    select unnest(['förtroendevald', 'chef', 'medarbetare', 'alla']) as target_group
),

genders as (
    select unnest(['kvinna', 'man', 'annat', 'ej angivet', 'alla']) as gender
),

cells as (
    select distinct instrument, dimension, category from {{ ref('codebook') }}
    union
    select distinct instrument, dimension, 'alla' from {{ ref('codebook') }}
    union
    select distinct instrument, 'alla', 'alla' from {{ ref('codebook') }}
),

spine as (
    select
        m.municipality_code, m.wave, m.instrument, g.target_group, k.gender,
        c.dimension, c.category
    from measured as m
    inner join cells as c on m.instrument = c.instrument
    cross join target_groups as g
    cross join genders as k
),

aggregated as (
    select
        municipality_code, wave, instrument,
        coalesce(target_group, 'alla') as target_group,
        coalesce(gender, 'alla') as gender,
        dimension, category,
        count(distinct respondent_key) as respondents,
        avg(score) as score
    from scores
    group by grouping sets (
        (municipality_code, wave, instrument, dimension, category, target_group, gender),
        (municipality_code, wave, instrument, dimension, category, target_group),
        (municipality_code, wave, instrument, dimension, category, gender),
        (municipality_code, wave, instrument, dimension, category)
    )
),

flagged as (
    select
        spine.*,
        coalesce(a.respondents, 0) as n,
        a.score,
        coalesce(a.respondents, 0) < {{ min_cell }} as suppressed
    from spine
    left join aggregated as a
        on spine.municipality_code = a.municipality_code
        and spine.wave = a.wave
        and spine.instrument = a.instrument
        and spine.target_group = a.target_group
        and spine.gender = a.gender
        and spine.dimension = a.dimension
        and spine.category = a.category
),

protected as (
    {{ secondary_suppression(
        'flagged',
        ['municipality_code', 'wave', 'instrument', 'dimension', 'category'],
        ['target_group', 'gender'],
        'n'
    ) }}
)

select
    municipality_code,
    wave,
    instrument,
    target_group,
    gender,
    dimension,
    category,
    n as respondents_unsuppressed,
    score as score_unsuppressed,
    case when not suppressed then n end::integer as respondents,
    case when not suppressed then score end::double as score_pct,
    suppressed,
    todo.survey_loads
from protected
inner join todo using (municipality_code)
