{#- Each registration with its event (latest version of each) and its satisfaction answer. -#}
with

events as (
    select * from {{ ref('stg_agenda__events') }}
),

registrations as (
    select * from {{ ref('stg_agenda__registrations') }}
),

satisfaction as (
    select * from {{ ref('stg_agenda__satisfaction') }}
),

latest_events as (
    {{ spro_latest_record('events', 'event_id') }}
),

latest_registrations as (
    {{ spro_latest_record('registrations', 'registration_id') }}
),

latest_answers as (
    {{ spro_latest_record('satisfaction', 'registration_id') }}
),

final as (
    select
        latest_registrations.registration_id,
        latest_registrations.event_id,
        latest_registrations.identity_key,
        latest_registrations.registered_at,
        coalesce(latest_registrations.attended, false) as attended,
        latest_registrations.public_status_code,
        latest_registrations.sex_code,
        latest_registrations.birth_year,
        latest_events.event_date,
        {{ spro_month_start('latest_events.event_date') }} as event_month,
        latest_events.event_type_code,
        latest_events.channel_code,
        latest_events.cot_sector_code,
        latest_events.bassin_code,
        latest_events.organiser_member_code,
        latest_answers.score as satisfaction_score,
        latest_answers.would_recommend
    from latest_registrations
    inner join latest_events on latest_registrations.event_id = latest_events.event_id
    left join latest_answers on latest_registrations.registration_id = latest_answers.registration_id
)

select * from final
