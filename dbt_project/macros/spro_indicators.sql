{#- The catalogue drives the indicator models: family, periods, territories and breakdowns of each
    indicator come from dbt_project/indicators/catalogue.yml (through the generated spro_catalogue()). -#}

{% macro spro_indicator(code) -%}
    {%- for indicator in spro_catalogue()['indicators'] -%}
        {%- if indicator['code'] == code -%}{{ return(indicator) }}{%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("indicator " ~ code ~ " is not in dbt_project/indicators/catalogue.yml") }}
{%- endmacro %}

{% macro spro_dimension_column(dimension) -%}
    {%- set columns = {
        'network': 'network_code', 'member': 'member_code', 'service_level': 'service_level_code',
        'channel': 'channel_code', 'sex': 'sex_code', 'age_band': 'age_band_code',
        'public_status': 'public_status_code', 'rqth': 'rqth', 'target_network': 'target_network_code',
        'exit_reason': 'exit_reason_code', 'outcome': 'outcome_code', 'event_type': 'event_type_code',
        'cot_sector': 'cot_sector_code'} -%}
    {{ return(columns[dimension]) }}
{%- endmacro %}

{% macro spro_geo_column(geo_level) -%}
    {%- set columns = {'member': 'member_code', 'bassin': 'bassin_code', 'psad_platform': 'psad_code',
                       'agency': 'agency_code', 'departement': 'departement_code', 'region': none} -%}
    {{ return(columns[geo_level]) }}
{%- endmacro %}

{#- The code of the Grand Est region (INSEE), the geo_code of region-level rows. -#}
{% macro spro_region_code() -%}'44'{%- endmacro %}

{#- Rows of one indicator: for each period grain of the catalogue, one pass over the relation with
    GROUPING SETS = territory level x breakdown (the catalogue says which). level_set 'finest' = the
    catalogue's geo_levels; 'totals' = agency, departement and region (recomputed from the rows,
    never summed: distinct people stay distinct). The relation has month_start / year_start /
    campaign_start, the territory columns and the breakdown columns. share_breakdowns: breakdowns
    whose denominator is the territory's total over all the breakdown's values (a share by type).
    affected: in an incremental run, a relation of the months the run recomputes (month_start,
    year_start, campaign_start, see spro_window_months): each pass keeps only the periods listed
    there, so the rows of other periods stay as they are in the table; none = every period. -#}
{% macro spro_indicator_rows(code, family, relation, level_set, numerator, denominator=none, value=none,
                             numerator_people=none, denominator_people=none, share_breakdowns=[],
                             affected=none) -%}
    {%- set indicator = spro_indicator(code) -%}
    {%- if indicator['family'] != family -%}
        {{ exceptions.raise_compiler_error(code ~ " is of family " ~ indicator['family'] ~ " in the catalogue, computed in " ~ family) }}
    {%- endif -%}
    {%- set geo_levels = indicator['geo_levels'] if level_set == 'finest' else ['agency', 'departement', 'region'] -%}
    {%- set breakdowns = ['total'] + indicator['dimensions'] -%}
    {%- set period_columns = {'month': 'month_start', 'year': 'year_start', 'campaign': 'campaign_start'} -%}
    {%- if value is none -%}
        {%- if indicator['value_type'] == 'count' -%}{%- set value = numerator -%}
        {%- elif indicator['value_type'] in ('rate', 'ratio') -%}{%- set value = spro_safe_divide(numerator, denominator) -%}
        {%- else -%}{{ exceptions.raise_compiler_error(code ~ ": a " ~ indicator['value_type'] ~ " needs an explicit value") }}
        {%- endif -%}
    {%- endif -%}
    {%- if numerator_people is none and 'numerator' in indicator['people_counts'] -%}{%- set numerator_people = numerator -%}{%- endif -%}
    {%- if denominator_people is none and 'denominator' in indicator['people_counts'] -%}{%- set denominator_people = denominator -%}{%- endif -%}
    {%- set denominator_is_people = denominator_people is not none and denominator_people == denominator -%}
    {%- set grouped_geos = [] -%}
    {%- for geo_level in geo_levels if geo_level != 'region' -%}{%- do grouped_geos.append(geo_level) -%}{%- endfor -%}
    {%- set dims = indicator['dimensions'] -%}
    {%- set sets = [] -%}
    {%- for geo_level in geo_levels -%}
        {%- for breakdown in breakdowns if breakdown != geo_level -%}
            {%- set columns = ['spro_period'] + (['g_' ~ geo_level] if geo_level != 'region' else []) + (['d_' ~ breakdown] if breakdown != 'total' else []) -%}
            {%- do sets.append('(' ~ (columns | join(', ')) ~ ')') -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set passes = [] -%}
    {%- for period in indicator['periods'] -%}
    {%- set pass_sql -%}
    select
        cast('{{ code }}' as {{ dbt.type_string() }}) as indicator_code,
        cast('{{ family }}' as {{ dbt.type_string() }}) as family,
        cast('{{ period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(spro_period as date) as period_start,
        cast(case
            {%- for geo_level in grouped_geos %}
            when grouping(g_{{ geo_level }}) = 0 then '{{ geo_level }}'
            {%- endfor %}
            else 'region' end as {{ dbt.type_string() }}) as geo_level,
        cast(case
            {%- for geo_level in grouped_geos %}
            when grouping(g_{{ geo_level }}) = 0 then cast(g_{{ geo_level }} as {{ dbt.type_string() }})
            {%- endfor %}
            else {{ spro_region_code() }} end as {{ dbt.type_string() }}) as geo_code,
        {%- if dims %}
        cast(case
            {%- for dim in dims %}
            when grouping(d_{{ dim }}) = 0 then '{{ dim }}'
            {%- endfor %}
            else 'total' end as {{ dbt.type_string() }}) as breakdown,
        cast(case
            {%- for dim in dims %}
            when grouping(d_{{ dim }}) = 0 then coalesce(cast(d_{{ dim }} as {{ dbt.type_string() }}), 'INCONNU')
            {%- endfor %}
            else 'TOTAL' end as {{ dbt.type_string() }}) as breakdown_value,
        {%- else %}
        cast('total' as {{ dbt.type_string() }}) as breakdown,
        cast('TOTAL' as {{ dbt.type_string() }}) as breakdown_value,
        {%- endif %}
        cast({{ numerator }} as {{ spro_type_double() }}) as numerator,
        cast({{ denominator if denominator is not none else 'null' }} as {{ spro_type_double() }}) as denominator,
        cast({{ value }} as {{ spro_type_double() }}) as value,
        cast({{ numerator_people if numerator_people is not none else 'null' }} as {{ dbt.type_bigint() }}) as numerator_people,
        cast({{ denominator_people if denominator_people is not none else 'null' }} as {{ dbt.type_bigint() }}) as denominator_people
    from (
        select
            indicator_input.*,
            {{ period_columns[period] }} as spro_period
            {%- for geo_level in grouped_geos %},
            {{ spro_geo_column(geo_level) }} as g_{{ geo_level }}
            {%- endfor %}
            {%- for dim in dims %},
            {{ spro_dimension_column(dim) }} as d_{{ dim }}
            {%- endfor %}
        from {{ relation }} as indicator_input
        where {{ period_columns[period] }} is not null
        {%- if affected is not none %}
            and {{ period_columns[period] }} in (select {{ period_columns[period] }} from {{ affected }})
        {%- endif %}
    ) as with_groups
    group by grouping sets ({{ sets | join(', ') }})
    {%- endset -%}
    {%- do passes.append(pass_sql) -%}
    {%- endfor %}
    select
        indicator_code,
        family,
        period_grain,
        period_start,
        geo_level,
        geo_code,
        breakdown,
        breakdown_value,
        numerator,
        {%- if share_breakdowns %}
        case when breakdown in ('{{ share_breakdowns | join("', '") }}')
            then sum(denominator) over (partition by period_grain, period_start, geo_level, geo_code, breakdown)
            else denominator end as denominator,
        case when breakdown in ('{{ share_breakdowns | join("', '") }}')
            then {{ spro_safe_divide('numerator', 'sum(denominator) over (partition by period_grain, period_start, geo_level, geo_code, breakdown)') }}
            else value end as value,
        numerator_people,
        case when breakdown in ('{{ share_breakdowns | join("', '") }}') and {{ 'true' if denominator_is_people else 'false' }}
            then cast(sum(denominator) over (partition by period_grain, period_start, geo_level, geo_code, breakdown) as {{ dbt.type_bigint() }})
            else denominator_people end as denominator_people,
        {%- else %}
        denominator,
        value,
        numerator_people,
        denominator_people,
        {%- endif %}
        cast('{{ indicator['aggregate_members'] }}' as {{ dbt.type_string() }}) as aggregate_members,
        cast({{ indicator['disclosure_threshold'] }} as {{ dbt.type_int() }}) as disclosure_threshold
    from (
        {{ passes | join('\n        union all\n') }}
    ) as {{ code | lower }}_cells
    where geo_code is not null
{%- endmacro %}

{#- Period columns for a date column: month_start, year_start, campaign_start. -#}
{% macro spro_period_columns(date_column) -%}
    {{ spro_month_start(date_column) }} as month_start,
    {{ spro_year_start(date_column) }} as year_start,
    {{ spro_campaign_start(date_column) }} as campaign_start
{%- endmacro %}
