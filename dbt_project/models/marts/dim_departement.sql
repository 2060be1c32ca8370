with

departements as (
    select * from {{ ref('ref_departements') }}
),

final as (
    select
        cast(departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(departement_name as {{ dbt.type_string() }}) as departement_name,
        cast(academie_code as {{ dbt.type_string() }}) as academie_code
    from departements
)

select * from final
