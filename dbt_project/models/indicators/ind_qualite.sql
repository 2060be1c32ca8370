{#- Indicators of the family 'qualite' at the finest publishable grain (catalogue: dbt_project/indicators/catalogue.yml). -#}
{{ spro_family_qualite('finest') }}
