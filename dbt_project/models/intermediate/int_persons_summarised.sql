{#- One row per (pseudonymous, linked) person seen by a per-act member: first contact, first
    advice, and how many members and networks saw them over the whole history. -#}
with

acts as (
    select * from {{ spro_ref('int_service_acts_unified') }}
    where source_grain = 'act'
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
        min(advice_date) as first_advice_date,
        count(distinct member_code) as members_count,
        count(distinct network_code) as networks_count,
        count(distinct identity_key) as identities_count,
        sum(acts_count) as acts_count,
        max(sex_code) as sex_code
    from flagged_acts
    group by person_key
),

ranked_acts as (
    select
        person_key,
        member_code,
        network_code,
        bassin_code,
        age_band_code,
        row_number() over (partition by person_key order by act_date, member_code, service_row_key) as act_rank
    from flagged_acts
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
