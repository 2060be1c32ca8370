{#- Monthly incremental models, driven by the Dagster month partitions.

    The partitioned @dbt_assets (pipelines/dbt/assets.py) passes the partition window as
    --vars '{min_month: YYYY-MM-01, max_month: YYYY-MM-01}' (both inclusive month starts). An
    incremental run then rebuilds the months [min_month - lookback, max_month] and only them;
    the first run, a --full-refresh and a run without the vars rebuild the whole history. -#}

{% macro spro_incremental_config(month_column) -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': [month_column], 'file_format': 'parquet', 'on_schema_change': 'fail'}) }}
    {%- else -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': month_column, 'on_schema_change': 'fail'}) }}
    {%- endif -%}
{%- endmacro %}

{#- True when this run only rebuilds a window of months. -#}
{% macro spro_is_month_window() -%}
    {{ return(is_incremental() and var('min_month', none) is not none) }}
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

{#- Filter on a month column (first day of month) for the months rebuilt by this run. -#}
{% macro spro_month_filter(month_column, lookback_days=0) -%}
    {%- if spro_is_month_window() -%}
        {{ month_column }} >= {{ spro_window_start(lookback_days) }}
        and {{ month_column }} <= {{ spro_date_literal(var('max_month', var('min_month'))) }}
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
