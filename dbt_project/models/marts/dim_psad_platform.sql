with

platforms as (
    select * from {{ ref('ref_psad_platforms') }}
),

bassins as (
    select * from {{ ref('ref_bassins') }}
),

final as (
    select
        cast(platforms.psad_code as {{ dbt.type_string() }}) as psad_code,
        cast(platforms.psad_name as {{ dbt.type_string() }}) as psad_name,
        cast(platforms.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(bassins.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(platforms.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(platforms.academie_code as {{ dbt.type_string() }}) as academie_code
    from platforms
    left join bassins on platforms.bassin_code = bassins.bassin_code
)

select * from final
