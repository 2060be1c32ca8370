{#- Redirections between members with their follow-up at the target member. Monthly incremental
    with the same 90-day look-back as int_redirections_matched. -#}
{{ config(**spro_incremental_config('redirect_month')) }}

with

redirections as (
    select * from {{ ref('int_redirections_matched') }}
    where {{ spro_month_filter('redirect_month', var('redirection_windows', [30, 90]) | max) }}
),

members as (
    select * from {{ ref('ref_members') }}
),

final as (
    select
        cast(redirections.redirection_key as {{ dbt.type_string() }}) as redirection_key,
        cast(redirections.person_key as {{ dbt.type_string() }}) as person_key,
        cast(redirections.from_member_code as {{ dbt.type_string() }}) as from_member_code,
        cast(redirections.from_network_code as {{ dbt.type_string() }}) as from_network_code,
        cast(redirections.from_bassin_code as {{ dbt.type_string() }}) as from_bassin_code,
        cast(members.agency_code as {{ dbt.type_string() }}) as from_agency_code,
        cast(members.departement_code as {{ dbt.type_string() }}) as from_departement_code,
        cast(redirections.to_member_code as {{ dbt.type_string() }}) as to_member_code,
        cast(redirections.to_network_code as {{ dbt.type_string() }}) as to_network_code,
        cast(redirections.target_is_observable as {{ dbt.type_boolean() }}) as target_is_observable,
        cast(redirections.redirect_date as date) as redirect_date,
        cast(redirections.redirect_month as date) as redirect_month,
        cast(redirections.first_seen_date as date) as first_seen_date,
        cast(redirections.days_to_seen as {{ dbt.type_int() }}) as days_to_seen,
        cast(redirections.seen_within_30d as {{ dbt.type_boolean() }}) as seen_within_30d,
        cast(redirections.window_30d_closed as {{ dbt.type_boolean() }}) as window_30d_closed,
        cast(redirections.seen_within_90d as {{ dbt.type_boolean() }}) as seen_within_90d,
        cast(redirections.window_90d_closed as {{ dbt.type_boolean() }}) as window_90d_closed
    from redirections
    left join members on redirections.from_member_code = members.member_code
)

select * from final
