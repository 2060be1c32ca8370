{#- PSAD journeys, one young person at one platform: identification, contact, solution, follow-up
    at 3 and 6 months, and later service by a SPRO member. -#}
with

journeys as (
    select * from {{ ref('int_psad_journeys_assembled') }}
),

platforms as (
    select * from {{ ref('dim_psad_platform') }}
),

final as (
    select
        cast(journeys.journey_key as {{ dbt.type_string() }}) as journey_key,
        cast(journeys.psad_code as {{ dbt.type_string() }}) as psad_code,
        cast(platforms.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(platforms.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(platforms.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(platforms.academie_code as {{ dbt.type_string() }}) as academie_code,
        cast(journeys.identity_key as {{ dbt.type_string() }}) as identity_key,
        cast(journeys.person_key as {{ dbt.type_string() }}) as person_key,
        cast(journeys.is_on_rio_list as {{ dbt.type_boolean() }}) as is_on_rio_list,
        cast(journeys.identified_date as date) as identified_date,
        cast(journeys.identified_month as date) as identified_month,
        cast(journeys.campaign_start as date) as campaign_start,
        cast(journeys.sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(journeys.exit_reason_code as {{ dbt.type_string() }}) as exit_reason_code,
        cast(journeys.contact_date as date) as contact_date,
        cast(journeys.is_contacted as {{ dbt.type_boolean() }}) as is_contacted,
        cast(journeys.days_to_contact as {{ dbt.type_int() }}) as days_to_contact,
        cast(journeys.outcome_code as {{ dbt.type_string() }}) as outcome_code,
        cast(journeys.outcome_date as date) as outcome_date,
        cast(journeys.has_solution as {{ dbt.type_boolean() }}) as has_solution,
        cast(journeys.followup_3m_outcome_code as {{ dbt.type_string() }}) as followup_3m_outcome_code,
        cast(journeys.is_solution_at_3m as {{ dbt.type_boolean() }}) as is_solution_at_3m,
        cast(journeys.followup_6m_outcome_code as {{ dbt.type_string() }}) as followup_6m_outcome_code,
        cast(journeys.is_solution_at_6m as {{ dbt.type_boolean() }}) as is_solution_at_6m,
        cast(journeys.referred_member_code as {{ dbt.type_string() }}) as referred_member_code,
        cast(journeys.first_seen_by_member_date as date) as first_seen_by_member_date,
        cast(journeys.is_seen_by_member as {{ dbt.type_boolean() }}) as is_seen_by_member
    from journeys
    left join platforms on journeys.psad_code = platforms.psad_code
)

select * from final
