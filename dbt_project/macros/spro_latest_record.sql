{#- The most recent record of each key across months: an event or a registration re-sent in a later
    month's file replaces the earlier one (latest month first, then the last row of the file). -#}
{% macro spro_latest_record(relation, key) -%}
    select * from (
        select
            latest_source.*,
            row_number() over (partition by {{ key }} order by period_month desc, source_row desc) as record_rank
        from {{ relation }} as latest_source
    ) as ranked
    where record_rank = 1
{%- endmacro %}
