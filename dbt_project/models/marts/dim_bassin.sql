with

bassins as (
    select * from {{ ref('ref_bassins') }}
),

departements as (
    select * from {{ ref('ref_departements') }}
),

final as (
    select
        cast(bassins.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(bassins.bassin_name as {{ dbt.type_string() }}) as bassin_name,
        cast(bassins.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(bassins.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(departements.academie_code as {{ dbt.type_string() }}) as academie_code,
        cast(bassins.population_15_29 as {{ dbt.type_bigint() }}) as population_15_29
    from bassins
    left join departements on bassins.departement_code = departements.departement_code
)

select * from final
