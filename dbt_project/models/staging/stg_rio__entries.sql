{#- SIEI/RIO dropout list entries per PSAD platform (identity fields pseudonymised). -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'rio_entries')) }}
),

final as (
    select
        cast(sender_code as {{ dbt.type_string() }}) as psad_code,
        {#- for RIO and PSAD rows the identity key is the INE's pseudonym -#}
        cast(ine_pseudo as {{ dbt.type_string() }}) as identity_key,
        cast(period_month as date) as period_month,
        upper(trim(sex_code)) as sex_code,
        cast({{ spro_optional_column(source('raw', 'rio_entries'), 'commune_insee', dbt.type_string()) }} as {{ dbt.type_string() }}) as commune_insee,
        cast({{ spro_optional_column(source('raw', 'rio_entries'), 'birth_year', dbt.type_int()) }} as {{ dbt.type_int() }}) as birth_year,
        cast(last_school_uai as {{ dbt.type_string() }}) as last_school_uai,
        cast(last_training_bcn as {{ dbt.type_string() }}) as last_training_bcn,
        cast(exit_date as date) as exit_date,
        upper(trim(exit_reason_code)) as exit_reason_code,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
