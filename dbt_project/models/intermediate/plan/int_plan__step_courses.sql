{#- One row per step of a current plan and each of its course codes (trimmed; a course
    event matches a code exactly after trimming, e.g. an xAPI activity IRI). -#}
select distinct
    municipality_code,
    step,
    trim(code) as course_code
from {{ ref('int_plan__current_steps') }},
    unnest(string_split(course_codes, ';')) as u (code)
where trim(code) <> ''
