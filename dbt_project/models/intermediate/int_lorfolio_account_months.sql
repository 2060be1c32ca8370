{#- Lorfolio activity per account and month (month of the action itself).
    Monthly incremental on activity_month: a partition run re-reads the actions dated in its
    months, whichever monthly file brought them. -#}
{{ config(**spro_incremental_config('activity_month')) }}

with

events as (
    select * from {{ ref('stg_lorfolio__events') }}
    where {{ spro_month_filter(spro_month_start('event_date'), relinked=false) }}
),

final as (
    select
        {{ spro_key(['account_id', spro_month_start('event_date')]) }} as account_month_key,
        account_id,
        {{ spro_month_start('event_date') }} as activity_month,
        max(bassin_code) as bassin_code,
        max(sex_code) as sex_code,
        max(birth_year) as birth_year,
        count(*) as actions_count,
        sum(case when action = 'ACCOUNT_CREATED' then 1 else 0 end) as account_created_count,
        sum(case when action = 'LOGIN' then 1 else 0 end) as login_count,
        sum(case when action = 'JOURNEY_ENTRY' then 1 else 0 end) as journey_entry_count,
        sum(case when action = 'SKILL_ADDED' then 1 else 0 end) as skill_added_count,
        sum(case when action = 'PROOF_ADDED' then 1 else 0 end) as proof_added_count,
        sum(case when action = 'CV_GENERATED' then 1 else 0 end) as cv_generated_count,
        sum(case when action = 'SITE_PUBLISHED' then 1 else 0 end) as site_published_count,
        sum(case when action = 'PROJECT_STEP' then 1 else 0 end) as project_step_count,
        sum(case when action = 'DOCUMENT_STORED' then 1 else 0 end) as document_stored_count
    from events
    where event_date is not null
    group by account_id, {{ spro_month_start('event_date') }}
)

select * from final
