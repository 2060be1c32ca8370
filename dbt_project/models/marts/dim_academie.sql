with

academies as (
    select * from {{ ref('ref_academies') }}
),

final as (
    select
        cast(academie_code as {{ dbt.type_string() }}) as academie_code,
        cast(academie_name as {{ dbt.type_string() }}) as academie_name
    from academies
)

select * from final
