{#- Shown in Dagster as an asset check of indicators.ind_suivi. -#}
{{ config(meta={'dagster': {'ref': {'name': 'ind_suivi'}}}) }}
{#- Every indicator row names a catalogue indicator of the same family: a model that computes a code
    absent from dbt_project/indicators/catalogue.yml, or files it under another family, fails. -#}
with

catalogue as (
    select * from {{ ref('ind_catalogue') }}
),

all_rows as (
    select distinct indicator_code, family from {{ ref('ind_suivi') }}
    union select distinct indicator_code, family from {{ ref('ind_suivi_totals') }}
    union select distinct indicator_code, family from {{ ref('ind_qualite') }}
    union select distinct indicator_code, family from {{ ref('ind_qualite_totals') }}
    union select distinct indicator_code, family from {{ ref('ind_performance') }}
    union select distinct indicator_code, family from {{ ref('ind_performance_totals') }}
),

final as (
    select all_rows.indicator_code, all_rows.family, catalogue.family as catalogue_family
    from all_rows
    left join catalogue on all_rows.indicator_code = catalogue.indicator_code
    where catalogue.indicator_code is null or catalogue.family <> all_rows.family
)

select * from final
