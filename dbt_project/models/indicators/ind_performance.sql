{#- Indicators of the family 'performance' at the finest publishable grain (catalogue: dbt_project/indicators/catalogue.yml). -#}
{{ spro_family_performance('finest') }}
