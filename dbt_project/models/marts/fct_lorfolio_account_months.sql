{#- Lorfolio activity per pseudonymous account and month. Monthly incremental on activity_month. -#}
{{ config(**spro_incremental_config('activity_month')) }}

with

account_months as (
    select * from {{ ref('int_lorfolio_account_months') }}
    where {{ spro_month_filter('activity_month', relinked=false) }}
),

bassins as (
    select * from {{ ref('ref_bassins') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

final as (
    select
        cast(account_months.account_month_key as {{ dbt.type_string() }}) as account_month_key,
        cast(account_months.account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_months.activity_month as date) as activity_month,
        cast(account_months.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(bassins.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(bassins.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(account_months.sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(age_bands.age_band_code as {{ dbt.type_string() }}) as age_band_code,
        cast(account_months.actions_count as {{ dbt.type_bigint() }}) as actions_count,
        cast(account_months.account_created_count as {{ dbt.type_bigint() }}) as account_created_count,
        cast(account_months.login_count as {{ dbt.type_bigint() }}) as login_count,
        cast(account_months.journey_entry_count as {{ dbt.type_bigint() }}) as journey_entry_count,
        cast(account_months.skill_added_count as {{ dbt.type_bigint() }}) as skill_added_count,
        cast(account_months.proof_added_count as {{ dbt.type_bigint() }}) as proof_added_count,
        cast(account_months.cv_generated_count as {{ dbt.type_bigint() }}) as cv_generated_count,
        cast(account_months.site_published_count as {{ dbt.type_bigint() }}) as site_published_count,
        cast(account_months.project_step_count as {{ dbt.type_bigint() }}) as project_step_count,
        cast(account_months.document_stored_count as {{ dbt.type_bigint() }}) as document_stored_count
    from account_months
    left join bassins on account_months.bassin_code = bassins.bassin_code
    left join age_bands
        on extract(year from account_months.activity_month) - account_months.birth_year >= age_bands.age_min
        and extract(year from account_months.activity_month) - account_months.birth_year <= age_bands.age_max
)

select * from final
