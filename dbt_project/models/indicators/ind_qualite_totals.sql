{#- Indicators of the family 'qualite' rolled up by agency, département and region (recomputed, not summed). -#}
{{ spro_family_qualite('totals') }}
