{#- Expected and received monthly activity files per member, from the ingestion ledger: a member is
    expected every month from its first delivered month to the latest month loaded for anyone.
    Received = a file of that member and month was loaded (any version, status loaded or replaced;
    rejected files do not count); the delay runs from the month's last day to the first receipt. -#}
with

ledger as (
    select * from {{ spro_source('ops', 'load_ledger') }}
),

members as (
    select * from {{ ref('ref_members') }}
),

months as (
    select * from {{ ref('int_months_enumerated') }}
),

loads as (
    select
        sender_code as member_code,
        period_month,
        coalesce(received_at, loaded_at) as loaded_at,
        file_version
    from ledger
    where feed = 'activity'
        and status in ('loaded', 'replaced')
        and sender_code is not null
        and period_month is not null
),

received as (
    select
        member_code,
        cast(period_month as date) as period_month,
        cast(min(loaded_at) as date) as first_loaded_date,
        max(file_version) as latest_file_version
    from loads
    group by member_code, cast(period_month as date)
),

member_spans as (
    select member_code, min(period_month) as first_month
    from received
    group by member_code
),

last_loaded as (
    select max(period_month) as last_month from received
),

expected as (
    select
        member_spans.member_code,
        months.month_start as period_month
    from member_spans
    cross join last_loaded
    inner join months
        on months.month_start >= member_spans.first_month
        and months.month_start <= last_loaded.last_month
),

final as (
    select
        {{ spro_key(['expected.member_code', 'expected.period_month']) }} as delivery_key,
        expected.member_code,
        members.network_code,
        members.bassin_code,
        expected.period_month,
        (received.member_code is not null) as is_received,
        received.first_loaded_date,
        received.latest_file_version,
        {{ spro_days_between(
            'cast(' ~ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'expected.period_month')) ~ ' as date)',
            'received.first_loaded_date') }} as days_after_month_end
    from expected
    left join received
        on expected.member_code = received.member_code
        and expected.period_month = received.period_month
    left join members on expected.member_code = members.member_code
)

select * from final
