{#- Satisfaction survey answers, one per registration that answered. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'event_satisfaction')) }}
),

final as (
    select
        cast(registration_id as {{ dbt.type_string() }}) as registration_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(period_month as date) as period_month,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(would_recommend as {{ dbt.type_boolean() }}) as would_recommend,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
