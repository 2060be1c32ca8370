{#- Events of the agenda de l'orientation. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'events')) }}
),

final as (
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(event_date as date) as event_date,
        cast(period_month as date) as period_month,
        upper(trim(event_type_code)) as event_type_code,
        upper(trim(channel_code)) as channel_code,
        upper(trim(cot_sector_code)) as cot_sector_code,
        cast(bassin_code as {{ dbt.type_string() }}) as bassin_code,
        nullif(upper(trim(organiser_member_code)), '') as organiser_member_code,
        cast(capacity as {{ dbt.type_bigint() }}) as capacity,
        cast(coalesce(partner_companies_count, 0) as {{ dbt.type_bigint() }}) as partner_companies_count,
        cast(coalesce(partner_branches_count, 0) as {{ dbt.type_bigint() }}) as partner_branches_count,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
