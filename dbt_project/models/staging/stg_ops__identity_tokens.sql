{#- The non-identifying attributes of each identity key (birth year/month/day, sex, commune);
    the comparison tokens themselves stay in ops for the linkage step. -#}
with

source as (
    select * from {{ source('ops', 'identity_tokens') }}
),

final as (
    select
        cast(identity_key as {{ dbt.type_string() }}) as identity_key,
        cast(sender_code as {{ dbt.type_string() }}) as sender_code,
        cast(birth_year as {{ dbt.type_int() }}) as birth_year,
        cast(birth_month as {{ dbt.type_int() }}) as birth_month,
        cast(birth_day as {{ dbt.type_int() }}) as birth_day,
        upper(trim(sex_code)) as sex_code,
        cast(commune_insee as {{ dbt.type_string() }}) as commune_insee
    from source
)

select * from final
