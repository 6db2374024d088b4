{#-
  Disclosure control (CONTRACT §4), reusable by every mart that publishes counts.

  `secondary_suppression(relation, line_keys, dims, size, passes)` returns a SELECT of every
  row and column of `relation` (a CTE or table) with its boolean column `suppressed` extended
  so that no hidden cell can be recovered by subtraction:

  - A *line* is a total row (`<dim> = 'alla'`) and its children (the other values of that
    dim) with every other key equal: `line_keys` plus the other `dims`. Each dim in `dims`
    must partition its total (every person in exactly one child), e.g. target_group, gender.
  - Rule A: the total is shown and exactly one child is hidden (total − shown siblings =
    the hidden child), or exactly one hidden child is non-empty (a hidden empty sibling
    protects nothing: total − shown siblings = the non-empty one) → also hide the shown
    child with the smallest `size` (ties: by the dim's value); when no child is shown (the
    others are absent, i.e. empty), hide the total instead.
  - Rule B: the total is hidden but every child is shown (the sum of the children = the
    hidden total) → hide the smallest child too.
  - Hiding a cell in one dim can open a line in another, so the rules run `passes` times
    over every dim (the tests check that no recoverable cell is left).

  Primary suppression (fewer than min_cell persons) is the caller's: set `suppressed`
  before calling. `size` is the cell's true count (respondents, headcount, persons).
  A mean (score_pct) is protected with its count: a hidden cell hides both, so the total's
  mean × n minus the siblings' cannot be formed without the hidden counts.
-#}
{% macro secondary_suppression(relation, line_keys, dims, size, passes=5) -%}
    {%- set steps = [] -%}
    {%- for p in range(passes) -%}
        {%- for d in dims -%}
            {%- do steps.append(d) -%}
        {%- endfor -%}
    {%- endfor -%}
    with _sup_0 as (select * from {{ relation }})
    {%- for d in steps %}
    {%- set others = line_keys + (dims | reject('equalto', d) | list) %}
    {%- set line -%}
        partition by {{ others | join(', ') }}
    {%- endset %}
    {%- set rule_a -%}
        (
            bool_or({{ d }} = 'alla' and not suppressed) over ({{ line }})
            and (
                count(*) filter (where {{ d }} <> 'alla' and suppressed) over ({{ line }}) = 1
                or count(*) filter (
                    where {{ d }} <> 'alla' and suppressed and {{ size }} > 0
                ) over ({{ line }}) = 1
            )
        )
    {%- endset %}
    {%- set rule_b -%}
        (
            bool_or({{ d }} = 'alla' and suppressed) over ({{ line }})
            and count(*) filter (where {{ d }} <> 'alla' and suppressed) over ({{ line }}) = 0
        )
    {%- endset %}
    , _sup_{{ loop.index }} as (
        select * replace (
            suppressed or coalesce(
                not suppressed and (
                    -- a shown child, the smallest, where rule A or B opens the line
                    (
                        {{ d }} <> 'alla'
                        and ({{ rule_a }} or {{ rule_b }})
                        and row_number() over (
                            {{ line }}, ({{ d }} <> 'alla' and not suppressed)
                            order by {{ size }}, {{ d }}
                        ) = 1
                    )
                    -- the total itself, where rule A holds and no child is left to hide
                    or (
                        {{ d }} = 'alla'
                        and {{ rule_a }}
                        and count(*) filter (
                            where {{ d }} <> 'alla' and not suppressed
                        ) over ({{ line }}) = 0
                    )
                ),
                false
            ) as suppressed
        )
        from _sup_{{ loop.index0 }}
    )
    {%- endfor %}
    select * from _sup_{{ steps | length }}
{%- endmacro %}
