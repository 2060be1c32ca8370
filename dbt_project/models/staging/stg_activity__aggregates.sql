{#- One row per cell of the monthly aggregate exports, latest file version only; a cell repeated
    in the same file (duplicate row) is kept once. -#}
with

source as (
    {{ spro_latest_file_version(spro_source('raw', 'activity_aggregates')) }}
),

typed as (
    select
        cast(sender_code as {{ dbt.type_string() }}) as member_code,
        cast(period_month as date) as period_month,
        upper(trim(service_level_code)) as service_level_code,
        upper(trim(channel_code)) as channel_code,
        upper(trim(sex_code)) as sex_code,
        upper(trim(age_band_code)) as age_band_code,
        upper(trim(public_status_code)) as public_status_code,
        nullif(cast(bassin_code as {{ dbt.type_string() }}), '') as bassin_code,
        cast(acts_count as {{ dbt.type_bigint() }}) as acts_count,
        cast(people_count as {{ dbt.type_bigint() }}) as people_count,
        cast(file_version as {{ dbt.type_int() }}) as file_version,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as {{ dbt.type_bigint() }}) as source_row,
        loaded_at
    from source
),

ranked as (
    select
        typed.*,
        row_number() over (
            partition by member_code, period_month, service_level_code, channel_code, sex_code,
                age_band_code, public_status_code, bassin_code
            order by source_row
        ) as duplicate_rank
    from typed
),

final as (
    select
        {{ spro_key(['member_code', 'period_month', 'service_level_code', 'channel_code', 'sex_code',
                     'age_band_code', 'public_status_code', 'bassin_code']) }} as aggregate_key,
        member_code,
        period_month,
        service_level_code,
        channel_code,
        sex_code,
        age_band_code,
        public_status_code,
        bassin_code,
        acts_count,
        people_count,
        file_version,
        source_file,
        source_row,
        loaded_at
    from ranked
    where duplicate_rank = 1
)

select * from final
