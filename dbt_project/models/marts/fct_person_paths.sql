{#- One row per pseudonymous person seen by a per-act member: first contact, first advice, the
    delay between them, and how many members and networks saw them. Incremental by person, like
    int_persons_summarised: a monthly run replaces the rows of the people seen in its months. -#}
{{ config(**spro_incremental_by_key_config('person_key')) }}
{{ config(pre_hook="{{ spro_delete_relinked_persons() }}") }}
-- depends_on: {{ ref('int_service_acts_unified') }}

with

{%- if spro_is_month_window() %}

window_persons as (
    {{ spro_window_persons() }}
),
{%- endif %}

persons as (
    select summarised.*
    from {{ ref('int_persons_summarised') }} as summarised
    {%- if spro_is_month_window() %}
    inner join window_persons on summarised.person_key = window_persons.person_key
    {%- endif %}
),

members as (
    select * from {{ ref('ref_members') }}
),

final as (
    select
        cast(persons.person_key as {{ dbt.type_string() }}) as person_key,
        cast(persons.first_contact_date as date) as first_contact_date,
        {{ spro_month_start('persons.first_contact_date') }} as first_contact_month,
        cast(persons.last_contact_date as date) as last_contact_date,
        cast(persons.first_advice_date as date) as first_advice_date,
        cast(persons.days_to_advice as {{ dbt.type_int() }}) as days_to_advice,
        cast(persons.first_member_code as {{ dbt.type_string() }}) as first_member_code,
        cast(persons.first_network_code as {{ dbt.type_string() }}) as first_network_code,
        cast(persons.first_bassin_code as {{ dbt.type_string() }}) as first_bassin_code,
        cast(members.agency_code as {{ dbt.type_string() }}) as first_agency_code,
        cast(members.departement_code as {{ dbt.type_string() }}) as first_departement_code,
        cast(persons.first_age_band_code as {{ dbt.type_string() }}) as first_age_band_code,
        cast(persons.sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(persons.members_count as {{ dbt.type_bigint() }}) as members_count,
        cast(persons.networks_count as {{ dbt.type_bigint() }}) as networks_count,
        cast(persons.identities_count as {{ dbt.type_bigint() }}) as identities_count,
        cast(persons.acts_count as {{ dbt.type_bigint() }}) as acts_count
    from persons
    left join members on persons.first_member_code = members.member_code
)

select * from final
