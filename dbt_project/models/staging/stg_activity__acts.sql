{#- One row per service act from the members that export per act, latest file version only,
    exact duplicate acts (same member, month and act number) removed. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'activity_acts')) }}
),

typed as (
    select
        cast(sender_code as {{ dbt.type_string() }}) as member_code,
        cast(act_id as {{ dbt.type_string() }}) as act_id,
        {#- the identity key is the keyed pseudonym of the member's own person number -#}
        cast(member_person_id_pseudo as {{ dbt.type_string() }}) as identity_key,
        cast(act_date as date) as act_date,
        cast(period_month as date) as period_month,
        upper(trim(service_level_code)) as service_level_code,
        upper(trim(channel_code)) as channel_code,
        upper(trim(sex_code)) as sex_code,
        upper(trim(public_status_code)) as public_status_code,
        cast(age as {{ dbt.type_int() }}) as age_years,
        cast(rqth as {{ dbt.type_boolean() }}) as rqth,
        cast(residence_commune_insee as {{ dbt.type_string() }}) as residence_commune_insee,
        nullif(upper(trim(redirected_to_member_code)), '') as redirected_to_member_code,
        cast(file_version as {{ dbt.type_int() }}) as file_version,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row,
        loaded_at,
        row_number() over (
            partition by sender_code, period_month, act_id
            order by source_row
        ) as duplicate_rank
    from source
),

final as (
    select
        {{ spro_key(['member_code', 'act_id']) }} as act_key,
        member_code,
        act_id,
        identity_key,
        act_date,
        period_month,
        service_level_code,
        channel_code,
        sex_code,
        public_status_code,
        age_years,
        rqth,
        residence_commune_insee,
        redirected_to_member_code,
        file_version,
        source_file,
        source_row,
        loaded_at
    from typed
    where duplicate_rank = 1
)

select * from final
