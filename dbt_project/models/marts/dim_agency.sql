with

agencies as (
    select * from {{ ref('ref_agencies') }}
),

final as (
    select
        cast(agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(agency_name as {{ dbt.type_string() }}) as agency_name,
        cast(seat_commune_name as {{ dbt.type_string() }}) as seat_commune_name
    from agencies
)

select * from final
