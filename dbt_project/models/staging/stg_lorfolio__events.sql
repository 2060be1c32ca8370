{#- Lorfolio usage log: one action of one pseudonymous account. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'lorfolio_events')) }}
),

final as (
    select
        cast(account_id_pseudo as {{ dbt.type_string() }}) as account_id,
        cast(event_time as {{ dbt.type_timestamp() }}) as event_time,
        cast(event_time as date) as event_date,
        cast(period_month as date) as period_month,
        upper(trim(action)) as action,
        nullif(cast(bassin_code as {{ dbt.type_string() }}), '') as bassin_code,
        cast(birth_year as {{ dbt.type_int() }}) as birth_year,
        upper(trim(sex_code)) as sex_code,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
