with

members as (
    select * from {{ ref('ref_members') }}
),

networks as (
    select * from {{ ref('dim_network') }}
),

departements as (
    select * from {{ ref('ref_departements') }}
),

final as (
    select
        cast(members.member_code as {{ dbt.type_string() }}) as member_code,
        cast(members.member_name as {{ dbt.type_string() }}) as member_name,
        cast(members.network_code as {{ dbt.type_string() }}) as network_code,
        networks.reporting_grain,
        cast(members.commune_insee as {{ dbt.type_string() }}) as commune_insee,
        cast(members.bassin_code as {{ dbt.type_string() }}) as bassin_code,
        cast(members.agency_code as {{ dbt.type_string() }}) as agency_code,
        cast(members.departement_code as {{ dbt.type_string() }}) as departement_code,
        cast(departements.academie_code as {{ dbt.type_string() }}) as academie_code
    from members
    left join networks on members.network_code = networks.network_code
    left join departements on members.departement_code = departements.departement_code
)

select * from final
