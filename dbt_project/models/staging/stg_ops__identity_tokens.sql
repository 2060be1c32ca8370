{#- The identity keys known to ingestion (one row per identified raw row): the key column is
    person_pseudo (what ingestion writes; identity_key in docs/architecture.md). The comparison tokens
    themselves stay in ops for the linkage step. -#}
with

source as (
    select * from {{ spro_source('ops', 'identity_tokens') }}
),

final as (
    select distinct
        cast(person_pseudo as {{ dbt.type_string() }}) as identity_key,
        cast(sender_code as {{ dbt.type_string() }}) as sender_code,
        cast(table_name as {{ dbt.type_string() }}) as table_name
    from source
    where person_pseudo is not null
)

select * from final
