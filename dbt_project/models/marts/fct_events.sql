{#- Events of the agenda with their registrations, attendance, satisfaction and business partners. -#}
with

events as (
    select * from {{ ref('stg_agenda__events') }}
),

registrations as (
    select * from {{ ref('int_event_registrations_joined') }}
),

bassins as (
    select * from {{ ref('ref_bassins') }}
),

latest_events as (
    {{ spro_latest_record('events', 'event_id') }}
),

per_event as (
    select
        event_id,
        count(*) as registrations_count,
        sum(case when attended then 1 else 0 end) as participants_count,
        count(satisfaction_score) as satisfaction_answers_count,
        avg(satisfaction_score) as satisfaction_score_mean
    from registrations
    group by event_id
),

final as (
    select
        cast(latest_events.event_id as {{ dbt.type_string() }}) as event_id,
        cast(latest_events.event_date as date) as event_date,
        {{ spro_month_start('latest_events.event_date') }} as event_month,
        cast(latest_events.event_type_code as {{ dbt.type_string() }}) as event_type_code,
        cast(latest_events.channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(latest_events.cot_sector_code as {{ dbt.type_string() }}) as cot_sector_code,
        cast(latest_events.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(bassins.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(bassins.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(latest_events.organiser_member_code as {{ dbt.type_string() }}) as organiser_member_code,
        cast(latest_events.capacity as {{ dbt.type_bigint() }}) as capacity,
        cast(latest_events.partner_companies_count as {{ dbt.type_bigint() }}) as partner_companies_count,
        cast(latest_events.partner_branches_count as {{ dbt.type_bigint() }}) as partner_branches_count,
        cast(coalesce(per_event.registrations_count, 0) as {{ dbt.type_bigint() }}) as registrations_count,
        cast(coalesce(per_event.participants_count, 0) as {{ dbt.type_bigint() }}) as participants_count,
        cast(coalesce(per_event.satisfaction_answers_count, 0) as {{ dbt.type_bigint() }}) as satisfaction_answers_count,
        cast(per_event.satisfaction_score_mean as {{ spro_type_double() }}) as satisfaction_score_mean
    from latest_events
    left join per_event on latest_events.event_id = per_event.event_id
    left join bassins on latest_events.bassin_code = bassins.bassin_code
)

select * from final
