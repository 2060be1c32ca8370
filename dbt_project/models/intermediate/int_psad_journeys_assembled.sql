{#- PSAD journeys: one young person at one platform, from identification (RIO list or the
    platform's own repérage) to contact, solution and follow-up at 3 and 6 months, plus whether a
    SPRO member later served the same (linked) person. A young person listed in several monthly
    lists of the same platform is one journey; the latest follow-up record describes it. -#}
with

rio as (
    select * from {{ ref('stg_rio__entries') }}
),

followups as (
    select * from {{ ref('stg_psad__followups') }}
),

identities as (
    select * from {{ ref('int_identities_linked') }}
),

outcomes as (
    select * from {{ ref('ref_psad_outcomes') }}
),

acts as (
    select person_key, act_date
    from {{ spro_ref('int_service_acts_unified') }}
    where source_grain = 'act'
),

listed as (
    select
        psad_code,
        identity_key,
        min(period_month) as first_listed_month,
        max(sex_code) as sex_code,
        max(exit_reason_code) as exit_reason_code,
        max(exit_date) as exit_date
    from rio
    group by psad_code, identity_key
),

ranked_followups as (
    select
        followups.*,
        row_number() over (
            partition by psad_code, identity_key
            order by period_month desc, source_row desc
        ) as record_rank
    from followups
),

latest_followups as (
    select * from ranked_followups where record_rank = 1
),

journeys as (
    select
        coalesce(listed.psad_code, latest_followups.psad_code) as psad_code,
        coalesce(listed.identity_key, latest_followups.identity_key) as identity_key,
        listed.first_listed_month,
        (listed.identity_key is not null) as is_on_rio_list,
        coalesce(latest_followups.identified_date, listed.first_listed_month) as identified_date,
        listed.sex_code,
        listed.exit_reason_code,
        listed.exit_date,
        latest_followups.contact_attempt_date,
        latest_followups.contact_date,
        latest_followups.outcome_code,
        latest_followups.outcome_date,
        latest_followups.followup_3m_outcome_code,
        latest_followups.followup_6m_outcome_code,
        latest_followups.referred_member_code
    from listed
    full outer join latest_followups
        on listed.psad_code = latest_followups.psad_code
        and listed.identity_key = latest_followups.identity_key
),

with_person as (
    select
        journeys.*,
        coalesce(identities.person_key, journeys.identity_key) as person_key
    from journeys
    left join identities on journeys.identity_key = identities.identity_key
),

first_seen as (
    select
        with_person.psad_code,
        with_person.identity_key,
        min(acts.act_date) as first_seen_by_member_date
    from with_person
    inner join acts
        on acts.person_key = with_person.person_key
        and acts.act_date >= with_person.identified_date
    group by with_person.psad_code, with_person.identity_key
),

final as (
    select
        {{ spro_key(['with_person.psad_code', 'with_person.identity_key']) }} as journey_key,
        with_person.psad_code,
        with_person.identity_key,
        with_person.person_key,
        with_person.is_on_rio_list,
        with_person.identified_date,
        {{ spro_month_start('with_person.identified_date') }} as identified_month,
        {{ spro_campaign_start('with_person.identified_date') }} as campaign_start,
        with_person.sex_code,
        with_person.exit_reason_code,
        with_person.exit_date,
        with_person.contact_attempt_date,
        with_person.contact_date,
        (with_person.contact_date is not null) as is_contacted,
        {{ spro_days_between('with_person.identified_date', 'with_person.contact_date') }} as days_to_contact,
        with_person.outcome_code,
        with_person.outcome_date,
        coalesce(outcome.is_solution, false) as has_solution,
        with_person.followup_3m_outcome_code,
        outcome_3m.is_solution as is_solution_at_3m,
        with_person.followup_6m_outcome_code,
        outcome_6m.is_solution as is_solution_at_6m,
        with_person.referred_member_code,
        first_seen.first_seen_by_member_date,
        (first_seen.first_seen_by_member_date is not null) as is_seen_by_member
    from with_person
    left join outcomes as outcome on with_person.outcome_code = outcome.outcome_code
    left join outcomes as outcome_3m on with_person.followup_3m_outcome_code = outcome_3m.outcome_code
    left join outcomes as outcome_6m on with_person.followup_6m_outcome_code = outcome_6m.outcome_code
    left join first_seen
        on with_person.psad_code = first_seen.psad_code
        and with_person.identity_key = first_seen.identity_key
)

select * from final
