{#- Every month from January 2014 to December 2035: the calendar of the warehouse. -#}
with

spine as (
    {{ dbt.date_spine('month', spro_date_literal('2014-01-01'), spro_date_literal('2036-01-01')) }}
),

final as (
    select
        cast(date_month as date) as month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'date_month')) }} as date) as month_end,
        cast(extract(year from date_month) as {{ dbt.type_int() }}) as year_number,
        cast(extract(month from date_month) as {{ dbt.type_int() }}) as month_number,
        {{ spro_year_start('date_month') }} as year_start,
        {{ spro_campaign_start('date_month') }} as campaign_start
    from spine
)

select * from final
