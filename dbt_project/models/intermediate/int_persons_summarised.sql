{#- One row per (pseudonymous, linked) person seen by a per-act member: first contact, first
    advice, and how many members and networks saw them over the whole history.
    Incremental by person: a monthly run rebuilds the people seen in its months, from their whole
    history (an act of this month can add a member, a first advice, a later last contact). -#}
{{ config(**spro_incremental_by_key_config('person_key')) }}
{{ config(pre_hook="{{ spro_delete_relinked_persons() }}") }}

with

{%- if spro_is_month_window() %}

window_persons as (
    {{ spro_window_persons() }}
),
{%- endif %}

acts as (
    select unified.*
    from {{ ref('int_service_acts_unified') }} as unified
    {%- if spro_is_month_window() %}
    inner join window_persons on unified.person_key = window_persons.person_key
    {%- endif %}
    where unified.source_grain = 'act'
),

advice_levels as (
    select service_level_code
    from {{ ref('ref_service_levels') }}
    where service_level_code in ('CONSEIL1', 'ACCOMP', 'CEP1', 'CEP2', 'VAE')
),

flagged_acts as (
    select
        acts.*,
        case when advice_levels.service_level_code is not null then acts.act_date end as advice_date
    from acts
    left join advice_levels on acts.service_level_code = advice_levels.service_level_code
),

per_person as (
    select
        person_key,
        min(act_date) as first_contact_date,
        max(act_date) as last_contact_date,
        min(advice_date) as first_advice_date,
        count(distinct member_code) as members_count,
        count(distinct network_code) as networks_count,
        count(distinct identity_key) as identities_count,
        sum(acts_count) as acts_count,
        max(sex_code) as sex_code
    from flagged_acts
    group by person_key
),

{#- The first act: among the acts of the first contact day only (ranking every act of the history
    would sort the whole table); no date at all = every act is a candidate. -#}
ranked_acts as (
    select
        flagged_acts.person_key,
        flagged_acts.member_code,
        flagged_acts.network_code,
        flagged_acts.bassin_code,
        flagged_acts.age_band_code,
        row_number() over (
            partition by flagged_acts.person_key
            order by flagged_acts.member_code, flagged_acts.service_row_key
        ) as act_rank
    from flagged_acts
    inner join per_person
        on flagged_acts.person_key = per_person.person_key
        and (flagged_acts.act_date = per_person.first_contact_date or per_person.first_contact_date is null)
),

first_acts as (
    select
        person_key,
        member_code as first_member_code,
        network_code as first_network_code,
        bassin_code as first_bassin_code,
        age_band_code as first_age_band_code
    from ranked_acts
    where act_rank = 1
),

final as (
    select
        per_person.person_key,
        per_person.first_contact_date,
        per_person.last_contact_date,
        per_person.first_advice_date,
        first_acts.first_member_code,
        first_acts.first_network_code,
        first_acts.first_bassin_code,
        first_acts.first_age_band_code,
        {{ spro_days_between('per_person.first_contact_date', 'per_person.first_advice_date') }} as days_to_advice,
        per_person.members_count,
        per_person.networks_count,
        per_person.identities_count,
        per_person.acts_count,
        per_person.sex_code
    from per_person
    left join first_acts on per_person.person_key = first_acts.person_key
)

select * from final
