{#- Tests in a monthly run check what that run rebuilt. A monthly run (--vars min_month/max_month)
    rebuilds a window of the incremental tables; testing their whole history again at every month
    would cost more than the build (a unique test over ten years of acts). So the generic tests of
    those tables see the rows of the window only: the months of the facts, the people seen from
    the window on, the periods of the indicators from the first year the window touches. A run
    without the vars (a full build, a --full-refresh) tests everything. -#}

{#- The column and first value that bound a table's rebuilt rows, per incremental model. -#}
{% macro spro_test_window_bounds() -%}
    {%- set lookback = var('redirection_windows', [30, 90]) | max -%}
    {{ return({
        'int_service_acts_unified': ('period_month', spro_window_start()),
        'fct_service_acts': ('period_month', spro_window_start()),
        'int_episodes_grouped': ('period_month', spro_window_start()),
        'int_redirections_matched': ('redirect_month', spro_window_start(lookback)),
        'fct_redirections': ('redirect_month', spro_window_start(lookback)),
        'int_lorfolio_account_months': ('activity_month', spro_window_start()),
        'fct_lorfolio_account_months': ('activity_month', spro_window_start()),
        'int_persons_summarised': ('last_contact_date', spro_window_start()),
        'fct_person_paths': ('last_contact_date', spro_window_start()),
        'ind_suivi': ('period_start', spro_year_start(spro_window_start(lookback))),
        'ind_suivi_totals': ('period_start', spro_year_start(spro_window_start(lookback))),
        'ind_qualite': ('period_start', spro_year_start(spro_window_start(lookback))),
        'ind_qualite_totals': ('period_start', spro_year_start(spro_window_start(lookback))),
        'ind_performance': ('period_start', spro_year_start(spro_window_start(lookback))),
        'ind_performance_totals': ('period_start', spro_year_start(spro_window_start(lookback))),
    }) }}
{%- endmacro %}

{#- The filter of a tested relation in a monthly run ('' when none applies). -#}
{% macro spro_test_window_filter(relation) -%}
    {%- if var('min_month', none) is none or relation is string or relation.identifier is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set bounds = spro_test_window_bounds().get(relation.identifier | lower) -%}
    {%- if bounds is none -%}{{ return('') }}{%- endif -%}
    {{ return(bounds[0] ~ ' >= ' ~ bounds[1]) }}
{%- endmacro %}

{#- A month column filter for the singular tests: the run's months in a monthly run, else all. -#}
{% macro spro_test_month_window(month_column) -%}
    {%- if var('min_month', none) is not none -%}
        {{ month_column }} >= {{ spro_window_start() }} and {{ month_column }} <= {{ spro_window_end() }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- dbt's generic tests read their model through get_where_subquery (the `where` test config):
    the same, plus the monthly run's window. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set parts = [] -%}
    {%- if where -%}{%- do parts.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set window_filter = spro_test_window_filter(relation) -%}
    {%- if window_filter -%}{%- do parts.append(window_filter) -%}{%- endif -%}
    {%- if parts -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ (parts | join(' and ')) ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
