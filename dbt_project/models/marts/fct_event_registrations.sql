{#- Registrations to the agenda's events, with attendance and satisfaction. -#}
with

registrations as (
    select * from {{ ref('int_event_registrations_joined') }}
),

bassins as (
    select * from {{ ref('ref_bassins') }}
),

final as (
    select
        cast(registrations.registration_id as {{ dbt.type_string() }}) as registration_id,
        cast(registrations.event_id as {{ dbt.type_string() }}) as event_id,
        cast(registrations.event_date as date) as event_date,
        cast(registrations.event_month as date) as event_month,
        cast(registrations.event_type_code as {{ dbt.type_string() }}) as event_type_code,
        cast(registrations.channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(registrations.cot_sector_code as {{ dbt.type_string() }}) as cot_sector_code,
        cast(registrations.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(bassins.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(bassins.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(registrations.attended as {{ dbt.type_boolean() }}) as attended,
        cast(registrations.public_status_code as {{ dbt.type_string() }}) as public_status_code,
        cast(registrations.sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(registrations.birth_year as {{ dbt.type_int() }}) as birth_year,
        cast(registrations.satisfaction_score as {{ dbt.type_int() }}) as satisfaction_score,
        cast(registrations.would_recommend as {{ dbt.type_boolean() }}) as would_recommend
    from registrations
    left join bassins on registrations.bassin_code = bassins.bassin_code
)

select * from final
