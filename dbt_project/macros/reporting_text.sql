{#-
  A number as the dashboards show it in a text column: rounded, with a decimal comma, or
  '..' when the cell is hidden or missing (as Kolada shows it). A hidden value reads the same
  whatever hid it: a reason would tell an attacker which cells are the small ones.
  Formatting only: the number is the mart's, unchanged but for the rounding.
-#}
{% macro reporting_text(expr, suppressed='false', decimals=1) -%}
    {%- set fmt = '%.' ~ decimals ~ 'f' if decimals else '%d' -%}
    case
        when {{ suppressed }} or {{ expr }} is null then '..'
        else replace(printf('{{ fmt }}', {{ expr }}), '.', ',')
    end
{%- endmacro %}
