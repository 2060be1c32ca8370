{#- Registrations to the agenda's events (registrant pseudonymised). -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'event_registrations')) }}
),

final as (
    select
        cast(registration_id as {{ dbt.type_string() }}) as registration_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        {#- the registrant's identity: the pseudonym of the e-mail -#}
        cast({{ spro_optional_column(source('raw', 'event_registrations'), 'email_pseudo', dbt.type_string()) }} as {{ dbt.type_string() }}) as identity_key,
        cast(registered_at as {{ dbt.type_timestamp() }}) as registered_at,
        cast(period_month as date) as period_month,
        cast(attended as {{ dbt.type_boolean() }}) as attended,
        upper(trim(public_status_code)) as public_status_code,
        upper(trim(sex_code)) as sex_code,
        cast(birth_year as {{ dbt.type_int() }}) as birth_year,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
