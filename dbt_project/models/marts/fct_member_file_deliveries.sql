{#- Expected and received monthly activity files per member, with the delay after month end. -#}
with

deliveries as (
    select * from {{ ref('int_member_file_deliveries') }}
),

members as (
    select * from {{ ref('ref_members') }}
),

final as (
    select
        cast(deliveries.delivery_key as {{ dbt.type_string() }}) as delivery_key,
        cast(deliveries.member_code as {{ dbt.type_string() }}) as member_code,
        cast(deliveries.network_code as {{ dbt.type_string() }}) as network_code,
        cast(deliveries.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(members.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(members.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(deliveries.period_month as date) as period_month,
        cast(deliveries.is_received as {{ dbt.type_boolean() }}) as is_received,
        cast(deliveries.first_loaded_date as date) as first_loaded_date,
        cast(deliveries.latest_file_version as {{ dbt.type_int() }}) as latest_file_version,
        cast(deliveries.days_after_month_end as {{ dbt.type_int() }}) as days_after_month_end,
        cast(deliveries.is_received and deliveries.days_after_month_end <= {{ var('timeliness_days', 15) }}
             as {{ dbt.type_boolean() }}) as is_on_time
    from deliveries
    left join members on deliveries.member_code = members.member_code
)

select * from final
