{#- The indicator catalogue as a table, for the extracts, the portal and the OREF (generated from
    dbt_project/indicators/catalogue.yml through the spro_catalogue() macro). -#}
{%- set rows = [] -%}
{%- for indicator in spro_catalogue()['indicators'] -%}
    {%- set row -%}
    select
        cast({{ spro_string_literal(indicator['code']) }} as {{ dbt.type_string() }}) as indicator_code,
        cast({{ spro_string_literal(indicator['family']) }} as {{ dbt.type_string() }}) as family,
        cast({{ spro_string_literal(indicator['label_fr']) }} as {{ dbt.type_string() }}) as label_fr,
        cast({{ spro_string_literal(indicator['definition_fr']) }} as {{ dbt.type_string() }}) as definition_fr,
        cast({{ spro_string_literal(indicator['formula']) }} as {{ dbt.type_string() }}) as formula,
        cast({{ spro_string_literal(indicator['unit']) }} as {{ dbt.type_string() }}) as unit,
        cast({{ spro_string_literal(indicator['value_type']) }} as {{ dbt.type_string() }}) as value_type,
        cast({{ spro_string_literal(indicator['dimensions'] | join(',')) }} as {{ dbt.type_string() }}) as dimensions,
        cast({{ spro_string_literal(indicator['periods'] | join(',')) }} as {{ dbt.type_string() }}) as periods,
        cast({{ spro_string_literal(indicator['geo_levels'] | join(',')) }} as {{ dbt.type_string() }}) as geo_levels,
        cast({{ spro_string_literal(indicator['feeds'] | join(',')) }} as {{ dbt.type_string() }}) as feeds,
        cast({{ indicator['disclosure_threshold'] }} as {{ dbt.type_int() }}) as disclosure_threshold,
        cast({{ spro_string_literal(indicator['aggregate_members']) }} as {{ dbt.type_string() }}) as aggregate_members,
        cast({{ spro_string_literal(indicator['aggregate_reason_fr']) }} as {{ dbt.type_string() }}) as aggregate_reason_fr
    {%- endset -%}
    {%- do rows.append(row) -%}
{%- endfor %}
with

catalogue as (
    {{ rows | join('\n    union all\n') }}
),

final as (
    select * from catalogue
)

select * from final
