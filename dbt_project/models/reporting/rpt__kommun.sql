{{ config(materialized='ephemeral', contract={'enforced': false}) }}

{#- The one municipality join of the reporting layer: the names the dashboards show. -#}
select
    municipality_code,
    municipality_name as kommun,
    county_name as lan
from {{ ref('dim_municipality') }}
