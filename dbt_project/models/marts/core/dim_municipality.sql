-- All 290 Swedish municipalities (SCB codes as text with leading zeros) and their county.
select
    cast(municipality_code as varchar) as municipality_code,
    municipality_name,
    cast(county_code as varchar) as county_code,
    county_name
from {{ ref('kommuner') }}
