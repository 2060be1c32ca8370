with

networks as (
    select * from {{ ref('ref_networks') }}
),

final as (
    select
        cast(network_code as {{ dbt.type_string() }}) as network_code,
        cast(network_name as {{ dbt.type_string() }}) as network_name,
        cast(export_format as {{ dbt.type_string() }}) as export_format,
        cast(case when export_format like 'aggregate%' then 'aggregate' else 'act' end
             as {{ dbt.type_string() }}) as reporting_grain,
        cast(min_age as {{ dbt.type_int() }}) as min_age,
        cast(max_age as {{ dbt.type_int() }}) as max_age
    from networks
)

select * from final
