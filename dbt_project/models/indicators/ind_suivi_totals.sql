{#- Indicators of the family 'suivi' rolled up by agency, département and region (recomputed, not summed). -#}
{{ spro_family_suivi('totals') }}
