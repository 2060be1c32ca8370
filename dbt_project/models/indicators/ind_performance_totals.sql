{#- Indicators of the family 'performance' rolled up by agency, département and region (recomputed, not summed). -#}
{{ spro_family_performance('totals') }}
