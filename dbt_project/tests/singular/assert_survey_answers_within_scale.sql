-- Every answer lies on its item's scale (ingest rejects others; this guards the mart).
-- Rows whose item is not in the codebook are also returned.
select s.load_id, s.source_row, s.instrument, s.item_code, s.answer
from {{ ref('stg_survey__answers') }} as s
left join {{ ref('codebook') }} as c
    on s.instrument = c.instrument and s.item_code = c.item_code
where c.item_code is null
    or (s.answer is not null and (s.answer < c.scale_min or s.answer > c.scale_max))
