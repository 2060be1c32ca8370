{#- Service activity of every member in one shape: one row per act for the members that export per
    act (acts_count = 1, person_key known) and one row per declared cell for the members that only
    send monthly aggregates (acts_count and people_count as declared, no person).
    Monthly incremental on period_month: a partition run rebuilds its months only. -#}
{{ config(**spro_incremental_config('period_month')) }}
{#- A month run also rebuilds the months whose person keys the linkage changed (spro_month_filter). #}
-- depends_on: {{ ref('int_person_keys_relinked') }}


with

acts as (
    select * from {{ ref('stg_activity__acts') }}
    where {{ spro_month_filter('period_month') }}
),

aggregates as (
    select * from {{ ref('stg_activity__aggregates') }}
    where {{ spro_month_filter('period_month') }}
),

identities as (
    select * from {{ ref('int_identities_linked') }}
),

members as (
    select * from {{ ref('ref_members') }}
),

networks as (
    select * from {{ ref('ref_networks') }}
),

channels as (
    select * from {{ ref('ref_channels') }}
),

communes as (
    select * from {{ ref('ref_communes') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

per_act as (
    select
        acts.act_key as service_row_key,
        'act' as source_grain,
        acts.member_code,
        acts.period_month,
        acts.act_date,
        acts.service_level_code,
        acts.channel_code,
        acts.sex_code,
        acts.age_years,
        cast(null as {{ dbt.type_string() }}) as declared_age_band_code,
        acts.public_status_code,
        acts.rqth,
        acts.identity_key,
        coalesce(identities.person_key, acts.identity_key) as person_key,
        acts.residence_commune_insee,
        communes.bassin_code as residence_bassin_code,
        acts.redirected_to_member_code,
        cast(1 as {{ dbt.type_bigint() }}) as acts_count,
        cast(null as {{ dbt.type_bigint() }}) as people_count
    from acts
    left join identities on acts.identity_key = identities.identity_key
    left join communes on acts.residence_commune_insee = communes.commune_insee
),

per_cell as (
    select
        aggregate_key as service_row_key,
        'aggregate' as source_grain,
        member_code,
        period_month,
        cast(null as date) as act_date,
        service_level_code,
        channel_code,
        sex_code,
        cast(null as {{ dbt.type_int() }}) as age_years,
        age_band_code as declared_age_band_code,
        public_status_code,
        cast(null as {{ dbt.type_boolean() }}) as rqth,
        cast(null as {{ dbt.type_string() }}) as identity_key,
        cast(null as {{ dbt.type_string() }}) as person_key,
        cast(null as {{ dbt.type_string() }}) as residence_commune_insee,
        bassin_code as residence_bassin_code,
        cast(null as {{ dbt.type_string() }}) as redirected_to_member_code,
        acts_count,
        people_count
    from aggregates
),

unioned as (
    select * from per_act
    union all
    select * from per_cell
),

final as (
    select
        unioned.service_row_key,
        unioned.source_grain,
        unioned.member_code,
        members.network_code,
        members.bassin_code,
        members.agency_code,
        members.departement_code,
        unioned.period_month,
        unioned.act_date,
        unioned.service_level_code,
        unioned.channel_code,
        channels.channel_group,
        unioned.sex_code,
        coalesce(unioned.declared_age_band_code, age_bands.age_band_code) as age_band_code,
        unioned.public_status_code,
        unioned.rqth,
        unioned.identity_key,
        unioned.person_key,
        unioned.residence_commune_insee,
        unioned.residence_bassin_code,
        unioned.redirected_to_member_code,
        unioned.acts_count,
        unioned.people_count
    from unioned
    left join members on unioned.member_code = members.member_code
    left join channels on unioned.channel_code = channels.channel_code
    left join age_bands
        on unioned.age_years >= age_bands.age_min
        and unioned.age_years <= age_bands.age_max
)

select * from final
