{#- Indicators of the family 'suivi' at the finest publishable grain (catalogue: dbt_project/indicators/catalogue.yml). -#}
{{ spro_family_suivi('finest') }}
