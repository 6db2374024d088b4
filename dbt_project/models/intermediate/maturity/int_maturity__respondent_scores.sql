{#-
  Scoring per respondent (CONTRACT §6, "Scoring"):
  1. an answer becomes 100 * (answer - min) / (max - min); reverse-coded items use max + min - answer;
  2. a category score is the mean of the respondent's answered items in that category, kept
     only when at least half of the category's items (in the codebook) are answered;
  3. a dimension score is the mean of the respondent's kept category scores; the overall
     score the mean of their dimension scores. Levels without a score produce no row.
  Output: one row per respondent and scored level; totals use category/dimension = 'alla'.
  Scores are DECIMAL(18, 9) at every level, so sums are exact and a group's mean does not
  depend on row order (an incremental and a full build round alike).

  Incremental on load_id: a respondent's scores depend only on their own answers
  (respondent_key = load_id/respondent_id) and the codebook, and staging only ever gains
  whole loads, so each build scores only the loads new to this table. A codebook change
  changes the project fingerprint, which rebuilds everything (`mognad.build.dbt.run_dbt`).
-#}
{{ config(materialized='incremental', incremental_strategy='append') }}

with answers as (
    select
        s.load_id,
        s.respondent_key,
        s.municipality_code,
        s.wave,
        s.instrument,
        s.target_group,
        coalesce(s.gender, 'ej angivet') as gender,
        c.dimension,
        c.category,
        cast(case
            when s.answer is null then null
            when c.reverse_coded
                then 100.0 * ((c.scale_max + c.scale_min - s.answer) - c.scale_min)
                    / (c.scale_max - c.scale_min)
            else 100.0 * (s.answer - c.scale_min) / (c.scale_max - c.scale_min)
        end as decimal(18, 9)) as item_score
    from {{ ref('stg_survey__answers') }} as s
    inner join {{ ref('codebook') }} as c
        on s.instrument = c.instrument and s.item_code = c.item_code
    {%- if is_incremental() %}
    where s.load_id not in (select distinct load_id from {{ this }})
    {%- endif %}
),

category_items as (
    select instrument, dimension, category, count(*) as n_items
    from {{ ref('codebook') }}
    group by instrument, dimension, category
),

category_scores as (
    select
        a.load_id,
        a.respondent_key,
        a.municipality_code,
        a.wave,
        a.instrument,
        a.target_group,
        a.gender,
        a.dimension,
        a.category,
        cast(avg(a.item_score) as decimal(18, 9)) as score
    from answers as a
    inner join category_items as ci
        on a.instrument = ci.instrument
        and a.dimension = ci.dimension
        and a.category = ci.category
    group by all
    having 2 * count(a.item_score) >= max(ci.n_items)
),

dimension_scores as (
    select
        load_id, respondent_key, municipality_code, wave, instrument, target_group, gender,
        dimension,
        'alla' as category,
        cast(avg(score) as decimal(18, 9)) as score
    from category_scores
    group by all
),

overall_scores as (
    select
        load_id, respondent_key, municipality_code, wave, instrument, target_group, gender,
        'alla' as dimension,
        'alla' as category,
        cast(avg(score) as decimal(18, 9)) as score
    from dimension_scores
    group by all
)

select * from category_scores
union all by name
select * from dimension_scores
union all by name
select * from overall_scores
