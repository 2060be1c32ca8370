{#- Redirections (ré-aiguillages) between members, each matched with the first act of the same
    person at the target member on or after the redirection date.
    Monthly incremental on redirect_month with a 90-day look-back: a new month of acts can close
    the follow-up window of redirections made up to 90 days earlier, so those months are rebuilt
    too (and only them). A window is 'closed' once the data reaches its last day. -#}
{{ config(**spro_incremental_config('redirect_month')) }}

{%- set windows = var('redirection_windows', [30, 90]) %}
{%- set lookback = windows | max %}

with

redirecting_acts as (
    select * from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
        and redirected_to_member_code is not null
        and redirected_to_member_code <> member_code
        and {{ spro_month_filter('period_month', lookback) }}
),

later_acts as (
    select * from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
        and {{ spro_month_from('period_month', lookback) }}
),

all_months as (
    select max(period_month) as last_month
    from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
),

members as (
    select * from {{ ref('ref_members') }}
),

networks as (
    select * from {{ ref('ref_networks') }}
),

redirections as (
    select
        person_key,
        member_code as from_member_code,
        max(network_code) as from_network_code,
        max(bassin_code) as from_bassin_code,
        redirected_to_member_code as to_member_code,
        act_date as redirect_date,
        period_month as redirect_month
    from redirecting_acts
    group by person_key, member_code, redirected_to_member_code, act_date, period_month
),

first_seen as (
    select
        redirections.person_key,
        redirections.from_member_code,
        redirections.to_member_code,
        redirections.redirect_date,
        min(later_acts.act_date) as first_seen_date
    from redirections
    inner join later_acts
        on later_acts.person_key = redirections.person_key
        and later_acts.member_code = redirections.to_member_code
        and later_acts.act_date >= redirections.redirect_date
    group by
        redirections.person_key,
        redirections.from_member_code,
        redirections.to_member_code,
        redirections.redirect_date
),

horizon as (
    select cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'last_month')) }} as date) as data_end_date
    from all_months
),

final as (
    select
        {{ spro_key(['redirections.person_key', 'redirections.from_member_code',
                     'redirections.to_member_code', 'redirections.redirect_date']) }} as redirection_key,
        redirections.person_key,
        redirections.from_member_code,
        redirections.from_network_code,
        redirections.from_bassin_code,
        redirections.to_member_code,
        members.network_code as to_network_code,
        (members.member_code is not null
            and networks.export_format not like 'aggregate%') as target_is_observable,
        redirections.redirect_date,
        redirections.redirect_month,
        first_seen.first_seen_date,
        {{ spro_days_between('redirections.redirect_date', 'first_seen.first_seen_date') }} as days_to_seen,
        {%- for days in windows %}
        coalesce({{ spro_days_between('redirections.redirect_date', 'first_seen.first_seen_date') }} <= {{ days }}, false)
            as seen_within_{{ days }}d,
        ({{ spro_days_between('redirections.redirect_date', 'horizon.data_end_date') }} >= {{ days }})
            as window_{{ days }}d_closed,
        {%- endfor %}
        horizon.data_end_date
    from redirections
    cross join horizon
    left join first_seen
        on redirections.person_key = first_seen.person_key
        and redirections.from_member_code = first_seen.from_member_code
        and redirections.to_member_code = first_seen.to_member_code
        and redirections.redirect_date = first_seen.redirect_date
    left join members on redirections.to_member_code = members.member_code
    left join networks on members.network_code = networks.network_code
)

select * from final
