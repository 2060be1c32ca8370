{#- The months whose per-act rows were built with a person key the linkage has changed since (a
    merge by a bridging identity, a full re-link), with that stale key: one row per (month, key).

    A monthly run rebuilds these months along with its own window (macros/spro_incremental.sql:
    spro_relinked_months), and drops the stale keys' person rows, so that a merge found this month
    reaches the months built before it, as a full refresh would. Read before the monthly models run
    (they depend on it): it compares the per-act rows as they are built (the existing table, read
    without ref, which would be a cycle) with the current links, for the rows whose key the linkage
    recorded as changed only, so that it costs next to nothing when nothing changed. -#}
{%- set built = spro_built_relation('int_service_acts_unified') %}

with

changes as (
    select distinct old_person_key as person_key
    from {{ ref('stg_ops__person_key_changes') }}
),

links as (
    select * from {{ ref('stg_ops__person_links') }}
),
{%- if built is not none %}

changed_rows as (
    select built_acts.period_month, built_acts.identity_key, built_acts.person_key
    from {{ built }} as built_acts
    where built_acts.source_grain = 'act'
        and built_acts.person_key in (select person_key from changes)
),

current_links as (
    select identity_key, max(person_key) as person_key
    from links
    where identity_key in (select identity_key from changed_rows)
    group by identity_key
),

final as (
    select distinct
        changed_rows.period_month,
        changed_rows.person_key as stale_person_key
    from changed_rows
    left join current_links on changed_rows.identity_key = current_links.identity_key
    where changed_rows.person_key <> coalesce(current_links.person_key, changed_rows.identity_key)
)
{%- else %}

{#- Nothing built yet: nothing stale (the refs above keep the lineage). -#}
final as (
    select
        cast(null as date) as period_month,
        cast(null as {{ dbt.type_string() }}) as stale_person_key
    where 1 = 0
)
{%- endif %}

select * from final
