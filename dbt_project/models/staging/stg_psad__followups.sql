{#- PSAD follow-up records: contact, outcome and 3/6-month follow-up of each young person. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'psad_followups')) }}
),

final as (
    select
        cast(sender_code as {{ dbt.type_string() }}) as psad_code,
        {#- for RIO and PSAD rows the identity key is the INE's pseudonym -#}
        cast(ine_pseudo as {{ dbt.type_string() }}) as identity_key,
        cast(period_month as date) as period_month,
        cast(identified_date as date) as identified_date,
        cast(contact_attempt_date as date) as contact_attempt_date,
        cast(contact_date as date) as contact_date,
        nullif(upper(trim(outcome_code)), '') as outcome_code,
        cast(outcome_date as date) as outcome_date,
        nullif(upper(trim(followup_3m_outcome_code)), '') as followup_3m_outcome_code,
        nullif(upper(trim(followup_6m_outcome_code)), '') as followup_6m_outcome_code,
        nullif(upper(trim(referred_member_code)), '') as referred_member_code,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row
    from source
)

select * from final
