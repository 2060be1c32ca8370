{#- Service activity of all members: one row per act (per-act members) or per declared cell
    (aggregate-only members). Add acts_count freely; count distinct person_key for people (per-act
    rows only); people_count is the aggregate members' own declaration. Monthly incremental. -#}
{{ config(**spro_incremental_config('period_month')) }}

with

unified as (
    select * from {{ ref('int_service_acts_unified') }}
    where {{ spro_month_filter('period_month') }}
),

final as (
    select
        cast(service_row_key as {{ dbt.type_string() }}) as service_row_key,
        cast(source_grain as {{ dbt.type_string() }}) as source_grain,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(network_code as {{ dbt.type_string() }}) as network_code,
        cast(bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(period_month as date) as period_month,
        cast(act_date as date) as act_date,
        cast(service_level_code as {{ dbt.type_string() }}) as service_level_code,
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(channel_group as {{ dbt.type_string() }}) as channel_group,
        cast(sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(age_band_code as {{ dbt.type_string() }}) as age_band_code,
        cast(public_status_code as {{ dbt.type_string() }}) as public_status_code,
        {{ spro_key(['sex_code', 'age_band_code', 'public_status_code']) }} as public_key,
        cast(rqth as {{ dbt.type_boolean() }}) as rqth,
        cast(person_key as {{ dbt.type_string() }}) as person_key,
        cast(residence_bassin_code as {{ dbt.type_string() }}) as residence_bassin_code,
        cast(redirected_to_member_code as {{ dbt.type_string() }}) as redirected_to_member_code,
        cast(acts_count as {{ dbt.type_bigint() }}) as acts_count,
        cast(people_count as {{ dbt.type_bigint() }}) as people_count
    from unified
)

select * from final
