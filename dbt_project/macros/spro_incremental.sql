{#- Monthly incremental models, driven by the Dagster month partitions.

    The partitioned @dbt_assets (pipelines/dbt/assets.py) passes the partition window as
    --vars '{min_month: YYYY-MM-01, max_month: YYYY-MM-01}' (both inclusive month starts). An
    incremental run then rebuilds the months [min_month - lookback, max_month] and only them. A
    run without the vars (a plain `dbt build`, with or without --full-refresh) builds the whole
    history. The window holds on a model's first build too: a history is built window after
    window (pipelines/dbt/windows.py: one calendar year per dbt invocation), each one reading and
    aggregating one year, so that time grows with the years and memory stays one year's.

    Three kinds of incremental models:
    - by month (spro_incremental_config('period_month')): the facts, one month column;
    - by period (spro_incremental_config(['indicator_code', 'period_grain', 'period_start'])): the
      indicator tables, whose rows of a period are replaced whenever the run recomputes that period
      (the months of the window, the years and campaigns they fall in);
    - by person (spro_incremental_by_key_config('person_key')): the person summaries, whose rows
      are replaced for the people seen in the window (their whole history is re-read). -#}

{% macro spro_incremental_config(unique_key) -%}
    {%- if target.type == 'spark' -%}
        {#- Spark's merge needs Delta: overwrite the partitions the run produced instead. -#}
        {%- set partition_by = unique_key if unique_key is not string else [unique_key] -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': partition_by, 'file_format': 'parquet', 'on_schema_change': 'fail'}) }}
    {%- else -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': unique_key, 'on_schema_change': 'fail'}) }}
    {%- endif -%}
{%- endmacro %}

{#- Incremental on a high-cardinality key (a person): delete+insert where the engine has it; a
    table rebuilt in full on Spark, where overwriting one partition per person makes no sense and
    merge needs Delta. The model's SQL works both ways (is_incremental() is false for a table). -#}
{% macro spro_incremental_by_key_config(unique_key) -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
    {%- else -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': unique_key, 'on_schema_change': 'fail'}) }}
    {%- endif -%}
{%- endmacro %}

{#- True when this run only (re)builds a window of months: an incremental model (a table rebuilt
    whole, e.g. on Spark, ignores the window) given the window's vars, whether its table exists yet
    or not. -#}
{% macro spro_is_month_window() -%}
    {{ return(var('min_month', none) is not none and config.get('materialized') == 'incremental') }}
{%- endmacro %}

{#- First month rebuilt: the partition's first month, moved back by lookback_days and truncated to
    its month (a 90-day window ending in month M starts as far back as month M-4). -#}
{% macro spro_window_start(lookback_days=0) -%}
    {%- if lookback_days == 0 -%}
        {{ spro_date_literal(var('min_month')) }}
    {%- else -%}
        {{ spro_month_start(dbt.dateadd('day', -lookback_days, spro_date_literal(var('min_month')))) }}
    {%- endif -%}
{%- endmacro %}

{% macro spro_window_end() -%}
    {{ spro_date_literal(var('max_month', none) or var('min_month')) }}
{%- endmacro %}

{#- Filter on a month column (first day of month) for the months rebuilt by this run. -#}
{% macro spro_month_filter(month_column, lookback_days=0) -%}
    {%- if spro_is_month_window() -%}
        {{ month_column }} >= {{ spro_window_start(lookback_days) }}
        and {{ month_column }} <= {{ spro_window_end() }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Filter on a month column for everything from the window start on (the rows a look-back window
    needs after its start, e.g. the acts that follow a redirection). -#}
{% macro spro_month_from(month_column, lookback_days=0) -%}
    {%- if spro_is_month_window() -%}
        {{ month_column }} >= {{ spro_window_start(lookback_days) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Filter on a month column for the whole years the window touches: a yearly distinct count
    (people in the year) cannot be summed from months, so the run re-reads the year to date. -#}
{% macro spro_years_filter(month_column, lookback_days=0) -%}
    {%- if spro_is_month_window() -%}
        {{ month_column }} >= {{ spro_year_start(spro_window_start(lookback_days)) }}
        and {{ month_column }} <= {{ spro_window_end() }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The calendar months a run recomputes (month_start, year_start, campaign_start), for a source
    rebuilt over [min_month - lookback, max_month]. Indicator passes keep the periods listed here. -#}
{% macro spro_window_months(lookback_days=0) -%}
    select month_start, year_start, campaign_start
    from {{ ref('int_months_enumerated') }}
    where {{ spro_month_filter('month_start', lookback_days) }}
{%- endmacro %}

{#- The people whose person-level rows a run rebuilds: everyone with a per-act row in the window. -#}
{% macro spro_window_persons() -%}
    select distinct person_key
    from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
        and person_key is not null
        and {{ spro_month_filter('period_month') }}
{%- endmacro %}

{#- delete+insert on a composite key (the indicator tables: code, grain, period start): dbt-duckdb
    deletes with `using` + equality on each key column, a join that multiplies the thousands of
    rows sharing one key on both sides. A semi-join (exists) deletes each target row once. -#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- if unique_key -%}
        {%- set keys = unique_key if (unique_key is sequence and unique_key is not string) else [unique_key] -%}
        delete from {{ target }} as spro_target
        where exists (
            select 1 from {{ source }} as spro_source
            where {% for key in keys %}spro_source.{{ key }} = spro_target.{{ key }}{{ " and " if not loop.last }}{% endfor %}
        )
        {%- for predicate in (incremental_predicates or []) %}
            and {{ predicate }}
        {%- endfor %};
    {%- endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
