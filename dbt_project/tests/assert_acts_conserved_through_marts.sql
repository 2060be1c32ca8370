{#- Shown in Dagster as an asset check of marts.fct_service_acts. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_service_acts'}}}) }}
{#- No act is lost or counted twice between staging and the fact table: the acts of the per-act
    exports plus the declared acts of the aggregate exports equal the sum of fct_service_acts.
    In a monthly run, over the run's months (see macros/spro_tests.sql). -#}
with

staged as (
    select count(*) as acts from {{ ref('stg_activity__acts') }}
    where {{ spro_test_month_window('period_month') }}
    union all
    select sum(acts_count) from {{ ref('stg_activity__aggregates') }}
    where {{ spro_test_month_window('period_month') }}
),

expected as (
    select coalesce(sum(acts), 0) as acts from staged
),

actual as (
    select coalesce(sum(acts_count), 0) as acts from {{ ref('fct_service_acts') }}
    where {{ spro_test_month_window('period_month') }}
),

final as (
    select expected.acts as expected_acts, actual.acts as actual_acts
    from expected
    cross join actual
    where expected.acts <> actual.acts
)

select * from final
