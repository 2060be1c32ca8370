{#- Indicators of the family 'qualite' rolled up by agency, département and region (recomputed, not summed). -#}
{#- Incremental by period: a monthly run replaces the rows of the periods it recomputes (see the family macro). -#}
{{ config(**spro_incremental_config(['indicator_code', 'period_grain', 'period_start'])) }}
{{ spro_family_qualite('totals') }}
