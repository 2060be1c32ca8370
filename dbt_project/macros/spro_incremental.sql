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

{#- The existing table of a model of this project, by name (none before its first build, and at
    parse time): lets a model read a table it must not ref (a downstream one, as it stands). -#}
{% macro spro_built_relation(model_name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- The months (ISO dates, sorted) this run rebuilds besides its window because the linkage changed
    person keys in them (int_person_keys_relinked), each widened back by lookback_days as the window
    is. Empty outside a month window, at parse time, and when nothing changed. -#}
{% macro spro_relinked_months(lookback_days=0) -%}
    {%- if not execute or not spro_is_month_window() -%}{{ return([]) }}{%- endif -%}
    {%- set relation = spro_built_relation('int_person_keys_relinked') -%}
    {%- if relation is none -%}{{ return([]) }}{%- endif -%}
    {%- set rows = run_query('select distinct period_month from ' ~ relation ~ ' where period_month is not null').rows -%}
    {%- set months = [] -%}
    {%- for row in rows -%}
        {%- set last = modules.datetime.date.fromisoformat((row[0] | string)[:10]) -%}
        {%- set first = (last - modules.datetime.timedelta(days=lookback_days)).replace(day=1) -%}
        {%- for k in range(0, 24) -%}
            {%- set month = modules.datetime.date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1) -%}
            {%- if month <= last and month.isoformat() not in months -%}{%- do months.append(month.isoformat()) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(months | sort) }}
{%- endmacro %}

{% macro spro_date_list(values) -%}
    {%- for value in values %}{{ spro_date_literal(value) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- Filter on a month column (first day of month) for the months rebuilt by this run: the window
    and the months the linkage re-keyed (relinked=false for tables without people, e.g. Lorfolio). -#}
{% macro spro_month_filter(month_column, lookback_days=0, relinked=true) -%}
    {%- if spro_is_month_window() -%}
        {%- set extra = spro_relinked_months(lookback_days) if relinked else [] -%}
        ({{ month_column }} >= {{ spro_window_start(lookback_days) }}
        and {{ month_column }} <= {{ spro_window_end() }}
        {%- if extra %}
        or {{ month_column }} in ({{ spro_date_list(extra) }})
        {%- endif %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Filter on a month column for everything from the window start on (the rows a look-back window
    needs after its start, e.g. the acts that follow a redirection), or from the earliest re-keyed
    month on. -#}
{% macro spro_month_from(month_column, lookback_days=0, relinked=true) -%}
    {%- if spro_is_month_window() -%}
        {%- set extra = spro_relinked_months(lookback_days) if relinked else [] -%}
        ({{ month_column }} >= {{ spro_window_start(lookback_days) }}
        {%- if extra %}
        or {{ month_column }} >= {{ spro_date_literal(extra[0]) }}
        {%- endif %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Filter on a month column for the whole years the window touches: a yearly distinct count
    (people in the year) cannot be summed from months, so the run re-reads the year to date; and
    the whole years of the re-keyed months. -#}
{% macro spro_years_filter(month_column, lookback_days=0, relinked=true) -%}
    {%- if spro_is_month_window() -%}
        {%- set years = [] -%}
        {%- for month in (spro_relinked_months(lookback_days) if relinked else []) -%}
            {%- if month[:4] not in years -%}{%- do years.append(month[:4]) -%}{%- endif -%}
        {%- endfor -%}
        ({{ month_column }} >= {{ spro_year_start(spro_window_start(lookback_days)) }}
        and {{ month_column }} <= {{ spro_window_end() }}
        {%- for year in years %}
        or ({{ month_column }} >= {{ spro_date_literal(year ~ '-01-01') }} and {{ month_column }} <= {{ spro_date_literal(year ~ '-12-31') }})
        {%- endfor %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The calendar months a run recomputes (month_start, year_start, campaign_start), for a source
    rebuilt over [min_month - lookback, max_month] and the re-keyed months. Indicator passes keep
    the periods listed here. -#}
{% macro spro_window_months(lookback_days=0) -%}
    select month_start, year_start, campaign_start
    from {{ ref('int_months_enumerated') }}
    where {{ spro_month_filter('month_start', lookback_days) }}
{%- endmacro %}

{#- The people whose person-level rows a run rebuilds: everyone with a per-act row in the months it
    rebuilds, and the stale keys of re-keyed rows (rebuilt if they still have rows elsewhere;
    spro_delete_relinked_persons drops them first). -#}
{% macro spro_window_persons() -%}
    {%- set relinked = spro_built_relation('int_person_keys_relinked') if spro_relinked_months() else none -%}
    select distinct person_key
    from {{ ref('int_service_acts_unified') }}
    where source_grain = 'act'
        and person_key is not null
        and {{ spro_month_filter('period_month') }}
    {%- if relinked is not none %}
    union
    select stale_person_key as person_key
    from {{ relinked }}
    where stale_person_key is not null
    {%- endif %}
{%- endmacro %}

{#- pre-hook of the tables by person: in a month run, the rows of the stale keys go (a key the
    linkage merged away has no row left to replace it; one that still has rows is rebuilt). -#}
{% macro spro_delete_relinked_persons() -%}
    {%- if execute and is_incremental() and spro_relinked_months() -%}
        {%- set relinked = spro_built_relation('int_person_keys_relinked') -%}
        delete from {{ this }}
        where person_key in (select stale_person_key from {{ relinked }})
    {%- endif -%}
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
