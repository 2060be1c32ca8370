{#- The SQL of the three indicator families. Each family macro is the body of two models:
    ind_<family> (level_set 'finest': member, bassin or PSAD platform) and ind_<family>_totals
    (level_set 'totals': agency, département, region). Every spro_indicator_rows call names a code
    of the catalogue and its family; pipelines/indicators/validate.py checks both directions.

    Incremental by period (see macros/spro_incremental.sql): in a run over a window of months, the
    indicators of the monthly facts (acts, redirections, Lorfolio) recompute the months of the
    window and the whole years they fall in (a yearly distinct count of people re-reads the year
    to date; the redirections reach back by their 90-day look-back); the delay to advice recomputes
    the periods of first contact of the people seen in the window. The PSAD journeys, the events
    and the file deliveries are small whole-history tables whose rows can change in any past
    period (a later follow-up, a re-sent event): their indicators are recomputed for every period,
    which costs little next to the acts. -#}

{#- ------------------------------------------------------------------------------------------ suivi -#}
{% macro spro_family_suivi(level_set) -%}
-- depends_on: {{ ref('int_months_enumerated') }}
{% set window = spro_is_month_window() -%}
{%- set lookback = var('redirection_windows', [30, 90]) | max -%}
with

service_acts as {{ spro_inline_cte() }} (
    select * from {{ spro_ref('fct_service_acts') }}
    where {{ spro_years_filter('period_month') }}
),

redirections as {{ spro_inline_cte() }} (
    select * from {{ spro_ref('fct_redirections') }}
    where {{ spro_years_filter('redirect_month', lookback) }}
),

psad_journeys as (
    select * from {{ ref('fct_psad_journeys') }}
),

lorfolio_months as {{ spro_inline_cte() }} (
    select * from {{ ref('fct_lorfolio_account_months') }}
    where {{ spro_years_filter('activity_month') }}
),

events as (
    select * from {{ ref('fct_events') }}
),

registrations as (
    select * from {{ ref('fct_event_registrations') }}
),
{%- if window %}

acts_window as (
    {{ spro_window_months() }}
),

redirections_window as (
    {{ spro_window_months(lookback) }}
),
{%- endif %}

acts_all as {{ spro_inline_cte() }} (
    select service_acts.*, {{ spro_period_columns('period_month') }}
    from service_acts
),

acts_per_act as {{ spro_inline_cte() }} (
    select * from acts_all where source_grain = 'act'
),

acts_aggregate as {{ spro_inline_cte() }} (
    select * from acts_all where source_grain = 'aggregate'
),

redirection_rows as {{ spro_inline_cte() }} (
    select
        person_key,
        from_member_code as member_code,
        from_network_code as network_code,
        from_bassin_code as bassin_code,
        from_agency_code as agency_code,
        from_departement_code as departement_code,
        to_network_code as target_network_code,
        {{ spro_period_columns('redirect_month') }}
    from redirections
),

person_year_networks as (
    select person_key, year_start, count(distinct network_code) as networks_count
    from acts_per_act
    group by person_key, year_start
),

person_year_rows as (
    select distinct
        acts_per_act.person_key,
        acts_per_act.year_start,
        acts_per_act.bassin_code,
        acts_per_act.agency_code,
        acts_per_act.departement_code,
        acts_per_act.sex_code,
        acts_per_act.age_band_code,
        person_year_networks.networks_count
    from acts_per_act
    inner join person_year_networks
        on acts_per_act.person_key = person_year_networks.person_key
        and acts_per_act.year_start = person_year_networks.year_start
),

journey_rows as (
    select psad_journeys.*, {{ spro_period_columns('identified_date') }}
    from psad_journeys
),

lorfolio_rows as {{ spro_inline_cte() }} (
    select lorfolio_months.*, {{ spro_period_columns('activity_month') }}
    from lorfolio_months
),

event_rows as (
    select events.*, {{ spro_period_columns('event_month') }}
    from events
),

registration_rows as (
    select registrations.*, {{ spro_period_columns('event_month') }}
    from registrations
),

indicator_rows as (
    {{ spro_indicator_rows('ACT_PEOPLE', 'suivi', 'acts_per_act', level_set,
        numerator='count(distinct person_key)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('ACT_PEOPLE_DECLARED', 'suivi', 'acts_aggregate', level_set,
        numerator='sum(people_count)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('ACT_ACTS', 'suivi', 'acts_all', level_set,
        numerator='sum(acts_count)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PATH_REDIRECTED_PEOPLE', 'suivi', 'redirection_rows', level_set,
        numerator='count(distinct person_key)',
        affected=('redirections_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PATH_MULTI_NETWORK_PEOPLE', 'suivi', 'person_year_rows', level_set,
        numerator='count(distinct case when networks_count >= 2 then person_key end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PSAD_IDENTIFIED', 'suivi', 'journey_rows', level_set,
        numerator='count(distinct identity_key)') }}
    union all
    {{ spro_indicator_rows('LOR_ACCOUNTS_CREATED', 'suivi', 'lorfolio_rows', level_set,
        numerator='count(distinct case when account_created_count > 0 then account_id end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('LOR_ACTIVE_ACCOUNTS', 'suivi', 'lorfolio_rows', level_set,
        numerator='count(distinct account_id)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('LOR_CVS', 'suivi', 'lorfolio_rows', level_set,
        numerator='sum(cv_generated_count)',
        denominator_people='count(distinct case when cv_generated_count > 0 then account_id end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('LOR_SITES', 'suivi', 'lorfolio_rows', level_set,
        numerator='sum(site_published_count)',
        denominator_people='count(distinct case when site_published_count > 0 then account_id end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('LOR_SKILLS', 'suivi', 'lorfolio_rows', level_set,
        numerator='sum(skill_added_count + proof_added_count)',
        denominator_people='count(distinct case when skill_added_count + proof_added_count > 0 then account_id end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('LOR_DOCUMENTS', 'suivi', 'lorfolio_rows', level_set,
        numerator='sum(document_stored_count)',
        denominator_people='count(distinct case when document_stored_count > 0 then account_id end)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('EVT_EVENTS', 'suivi', 'event_rows', level_set,
        numerator='count(distinct event_id)') }}
    union all
    {{ spro_indicator_rows('EVT_REGISTRATIONS', 'suivi', 'registration_rows', level_set,
        numerator='count(registration_id)') }}
    union all
    {{ spro_indicator_rows('EVT_PARTICIPANTS', 'suivi', 'registration_rows', level_set,
        numerator='sum(case when attended then 1 else 0 end)') }}
    union all
    {{ spro_indicator_rows('EVT_BUSINESS_PARTNERS', 'suivi', 'event_rows', level_set,
        numerator='sum(partner_companies_count + partner_branches_count)') }}
)

select * from indicator_rows
{%- endmacro %}

{#- ---------------------------------------------------------------------------------------- qualite -#}
{% macro spro_family_qualite(level_set) -%}
-- depends_on: {{ ref('int_months_enumerated') }}
{% set window = spro_is_month_window() -%}
with

service_acts as {{ spro_inline_cte() }} (
    select * from {{ spro_ref('fct_service_acts') }}
    where {{ spro_years_filter('period_month') }}
),

deliveries as (
    select * from {{ ref('fct_member_file_deliveries') }}
),

registrations as (
    select * from {{ ref('fct_event_registrations') }}
),

bassins as (
    select * from {{ ref('dim_bassin') }}
),
{%- if window %}

acts_window as (
    {{ spro_window_months() }}
),
{%- endif %}

acts_all as {{ spro_inline_cte() }} (
    select service_acts.*, {{ spro_period_columns('period_month') }}
    from service_acts
),

acts_per_act as {{ spro_inline_cte() }} (
    select * from acts_all where source_grain = 'act'
),

acts_by_residence as (
    select
        acts_per_act.person_key,
        acts_per_act.year_start,
        bassins.bassin_code,
        bassins.agency_code,
        bassins.departement_code
    from acts_per_act
    inner join bassins on acts_per_act.residence_bassin_code = bassins.bassin_code
),

population_by_territory as (
    select 'bassin' as geo_level, bassin_code as geo_code, sum(population_15_29) as population_15_29
    from bassins group by bassin_code
    union all
    select 'agency', agency_code, sum(population_15_29) from bassins group by agency_code
    union all
    select 'departement', departement_code, sum(population_15_29) from bassins group by departement_code
    union all
    select 'region', {{ spro_region_code() }}, sum(population_15_29) from bassins
),

delivery_rows as (
    select deliveries.*, {{ spro_period_columns('period_month') }}
    from deliveries
),

received_rows as (
    select * from delivery_rows where is_received
),

attended_rows as (
    select registrations.*, {{ spro_period_columns('event_month') }}
    from registrations
    where attended
),

registration_rows as (
    select registrations.*, {{ spro_period_columns('event_month') }}
    from registrations
),

coverage_people as (
    {{ spro_indicator_rows('VAL_TERRITORIAL_COVERAGE', 'qualite', 'acts_by_residence', level_set,
        numerator='count(distinct person_key)', denominator='null', value='null',
        affected=('acts_window' if window else none)) }}
),

coverage_rows as (
    select
        coverage_people.indicator_code,
        coverage_people.family,
        coverage_people.period_grain,
        coverage_people.period_start,
        coverage_people.geo_level,
        coverage_people.geo_code,
        coverage_people.breakdown,
        coverage_people.breakdown_value,
        coverage_people.numerator,
        cast(population_by_territory.population_15_29 as {{ spro_type_double() }}) as denominator,
        cast(1000 * {{ spro_safe_divide('coverage_people.numerator', 'population_by_territory.population_15_29') }}
             as {{ spro_type_double() }}) as value,
        coverage_people.numerator_people,
        coverage_people.denominator_people,
        coverage_people.aggregate_members,
        coverage_people.disclosure_threshold
    from coverage_people
    left join population_by_territory
        on coverage_people.geo_level = population_by_territory.geo_level
        and coverage_people.geo_code = population_by_territory.geo_code
),

indicator_rows as (
    {{ spro_indicator_rows('ACT_DISTANCE_SHARE', 'qualite', 'acts_all', level_set,
        numerator="sum(case when channel_group = 'distance' then acts_count else 0 end)",
        denominator='sum(acts_count)',
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('VAL_WOMEN_SHARE', 'qualite', 'acts_per_act', level_set,
        numerator="count(distinct case when sex_code = 'F' then person_key end)",
        denominator="count(distinct case when sex_code in ('F', 'M') then person_key end)",
        affected=('acts_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('VAL_WOMEN_SHARE_EVENTS', 'qualite', 'attended_rows', level_set,
        numerator="sum(case when sex_code = 'F' then 1 else 0 end)",
        denominator="sum(case when sex_code in ('F', 'M') then 1 else 0 end)") }}
    union all
    {{ spro_indicator_rows('VAL_DISABILITY_SHARE', 'qualite', 'acts_per_act', level_set,
        numerator='count(distinct case when rqth then person_key end)',
        denominator='count(distinct case when rqth is not null then person_key end)',
        affected=('acts_window' if window else none)) }}
    union all
    select * from coverage_rows
    union all
    {{ spro_indicator_rows('VAL_DATA_COMPLETENESS', 'qualite', 'delivery_rows', level_set,
        numerator='sum(case when is_received then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('VAL_DATA_TIMELINESS', 'qualite', 'received_rows', level_set,
        numerator='sum(case when is_on_time then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('EVT_ATTENDANCE_RATE', 'qualite', 'registration_rows', level_set,
        numerator='sum(case when attended then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('EVT_SATISFACTION_SCORE', 'qualite', 'registration_rows', level_set,
        numerator='sum(satisfaction_score)',
        denominator='count(satisfaction_score)',
        value='avg(satisfaction_score)') }}
    union all
    {{ spro_indicator_rows('EVT_RECOMMEND_SHARE', 'qualite', 'registration_rows', level_set,
        numerator='sum(case when would_recommend then 1 else 0 end)',
        denominator='count(would_recommend)') }}
)

select * from indicator_rows
{%- endmacro %}

{#- ------------------------------------------------------------------------------------ performance -#}
{% macro spro_family_performance(level_set) -%}
-- depends_on: {{ ref('int_months_enumerated') }}
-- depends_on: {{ ref('int_service_acts_unified') }}
{% set window = spro_is_month_window() -%}
{%- set lookback = var('redirection_windows', [30, 90]) | max -%}
with

redirections as {{ spro_inline_cte() }} (
    select * from {{ spro_ref('fct_redirections') }}
    where {{ spro_years_filter('redirect_month', lookback) }}
),

person_paths as (
    select * from {{ ref('fct_person_paths') }}
),

psad_journeys as (
    select * from {{ ref('fct_psad_journeys') }}
),
{%- if window %}

redirections_window as (
    {{ spro_window_months(lookback) }}
),

{#- A person seen in the window may get a first advice (or, after a corrected file, a new first
    contact): the periods of their first contact change, however old. -#}
window_persons as (
    {{ spro_window_persons() }}
),

advice_window as (
    select month_start, year_start, campaign_start
    from {{ ref('int_months_enumerated') }}
    where month_start in (
            select person_paths.first_contact_month
            from person_paths
            inner join window_persons on person_paths.person_key = window_persons.person_key
        )
        or ({{ spro_month_filter('month_start') }})
),
{%- endif %}

redirection_rows as {{ spro_inline_cte() }} (
    select
        person_key,
        from_member_code as member_code,
        from_network_code as network_code,
        from_bassin_code as bassin_code,
        from_agency_code as agency_code,
        from_departement_code as departement_code,
        to_network_code as target_network_code,
        seen_within_30d,
        window_30d_closed,
        seen_within_90d,
        window_90d_closed,
        {{ spro_period_columns('redirect_month') }}
    from redirections
    where target_is_observable
),

redirections_30d as {{ spro_inline_cte() }} (
    select * from redirection_rows where window_30d_closed
),

redirections_90d as {{ spro_inline_cte() }} (
    select * from redirection_rows where window_90d_closed
),

advice_rows as (
    select
        person_key,
        days_to_advice,
        first_network_code as network_code,
        first_bassin_code as bassin_code,
        first_agency_code as agency_code,
        first_departement_code as departement_code,
        sex_code,
        first_age_band_code as age_band_code,
        {{ spro_period_columns('first_contact_date') }}
    from person_paths
    where days_to_advice is not null
    {%- if window %}
        and {{ spro_year_start('first_contact_month') }} in (select year_start from advice_window)
    {%- endif %}
),

journey_rows as (
    select psad_journeys.*, {{ spro_period_columns('identified_date') }}
    from psad_journeys
),

contacted_rows as (
    select * from journey_rows where is_contacted and days_to_contact is not null
),

followed_3m_rows as (
    select * from journey_rows where has_solution and is_solution_at_3m is not null
),

followed_6m_rows as (
    select * from journey_rows where has_solution and is_solution_at_6m is not null
),

indicator_rows as (
    {{ spro_indicator_rows('PATH_SEEN_30D', 'performance', 'redirections_30d', level_set,
        numerator='count(distinct case when seen_within_30d then person_key end)',
        denominator='count(distinct person_key)',
        affected=('redirections_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PATH_SEEN_90D', 'performance', 'redirections_90d', level_set,
        numerator='count(distinct case when seen_within_90d then person_key end)',
        denominator='count(distinct person_key)',
        affected=('redirections_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PATH_DAYS_TO_ADVICE', 'performance', 'advice_rows', level_set,
        numerator='null', denominator='count(distinct person_key)',
        value=spro_median('days_to_advice'),
        affected=('advice_window' if window else none)) }}
    union all
    {{ spro_indicator_rows('PSAD_CONTACT_RATE', 'performance', 'journey_rows', level_set,
        numerator='sum(case when is_contacted then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('PSAD_CONTACT_DELAY', 'performance', 'contacted_rows', level_set,
        numerator='null', denominator='count(*)',
        value=spro_median('days_to_contact')) }}
    union all
    {{ spro_indicator_rows('PSAD_SOLUTION_RATE', 'performance', 'journey_rows', level_set,
        numerator='sum(case when has_solution then 1 else 0 end)',
        denominator='count(*)', share_breakdowns=['outcome']) }}
    union all
    {{ spro_indicator_rows('PSAD_REENGAGED_3M', 'performance', 'followed_3m_rows', level_set,
        numerator='sum(case when is_solution_at_3m then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('PSAD_REENGAGED_6M', 'performance', 'followed_6m_rows', level_set,
        numerator='sum(case when is_solution_at_6m then 1 else 0 end)',
        denominator='count(*)') }}
    union all
    {{ spro_indicator_rows('PSAD_SEEN_BY_MEMBER', 'performance', 'journey_rows', level_set,
        numerator='sum(case when is_seen_by_member then 1 else 0 end)',
        denominator='count(*)') }}
)

select * from indicator_rows
{%- endmacro %}
