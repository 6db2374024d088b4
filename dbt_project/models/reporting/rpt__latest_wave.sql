{{ config(materialized='ephemeral', contract={'enforced': false}) }}

{#- The one "latest wave": each municipality's latest wave per instrument (every maturity
    mart has the waves of fct_maturity, so one definition serves them all). -#}
select
    municipality_code,
    instrument,
    max(wave) as latest_wave
from {{ ref('fct_maturity') }}
group by municipality_code, instrument
