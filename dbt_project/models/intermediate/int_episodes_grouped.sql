{#- Episodes: the acts of one person at one member within one month, grouped (per-act members
    only). Monthly incremental on period_month. -#}
{{ config(**spro_incremental_config('period_month')) }}

with

acts as (
    select * from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
        and {{ spro_month_filter('period_month') }}
),

service_levels as (
    select * from {{ ref('ref_service_levels') }}
),

ranked_acts as (
    select
        acts.*,
        service_levels.sort_order as service_level_rank
    from acts
    left join service_levels on acts.service_level_code = service_levels.service_level_code
),

final as (
    select
        {{ spro_key(['person_key', 'member_code', 'period_month']) }} as episode_key,
        person_key,
        member_code,
        max(network_code) as network_code,
        max(bassin_code) as bassin_code,
        period_month,
        min(act_date) as first_act_date,
        max(act_date) as last_act_date,
        sum(acts_count) as acts_count,
        max(service_level_rank) as highest_service_level_rank,
        max(redirected_to_member_code) as redirected_to_member_code
    from ranked_acts
    group by person_key, member_code, period_month
)

select * from final
