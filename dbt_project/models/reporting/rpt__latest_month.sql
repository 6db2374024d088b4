{{ config(materialized='ephemeral', contract={'enforced': false}) }}

{#- Each municipality's latest month of training coverage (every month has its 'alla' rows). -#}
select
    municipality_code,
    max(period) as latest_period
from {{ ref('fct_training_coverage') }}
group by municipality_code
