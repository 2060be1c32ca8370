{#- The person keys the linkage step changed (a merge, a re-link): the old key of every identity
    that moved. Empty until linkage has run (spro_source reads a missing table as empty). -#}
with

source as (
    select * from {{ spro_source('ops', 'person_key_changes') }}
),

final as (
    select
        cast(old_person_key as {{ dbt.type_string() }}) as old_person_key,
        cast(new_person_key as {{ dbt.type_string() }}) as new_person_key,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at
    from source
    where old_person_key is not null
)

select * from final
