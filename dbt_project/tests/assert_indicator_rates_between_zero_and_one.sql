{#- Shown in Dagster as an asset check of indicators.ind_suivi_totals. -#}
{{ config(meta={'dagster': {'ref': {'name': 'ind_suivi_totals'}}}) }}
{#- Every indicator expressed as a part (unit 'part' in the catalogue) lies between 0 and 1, at every
    grain of the three families and their totals. -#}
with

catalogue as (
    select * from {{ ref('ind_catalogue') }}
),

all_rows as (
    select indicator_code, value from {{ ref('ind_suivi') }}
    union all select indicator_code, value from {{ ref('ind_suivi_totals') }}
    union all select indicator_code, value from {{ ref('ind_qualite') }}
    union all select indicator_code, value from {{ ref('ind_qualite_totals') }}
    union all select indicator_code, value from {{ ref('ind_performance') }}
    union all select indicator_code, value from {{ ref('ind_performance_totals') }}
),

final as (
    select all_rows.indicator_code, all_rows.value
    from all_rows
    inner join catalogue on all_rows.indicator_code = catalogue.indicator_code
    where catalogue.unit = 'part' and (all_rows.value < 0 or all_rows.value > 1)
)

select * from final
