{#- identity_key -> person_key from the linkage step (empty until linkage has run: see the
    on-run-start hook spro_create_person_links_if_missing). -#}
with

source as (
    select * from {{ spro_source('ops', 'person_links') }}
),

final as (
    select
        cast(identity_key as {{ dbt.type_string() }}) as identity_key,
        cast(person_key as {{ dbt.type_string() }}) as person_key,
        cast(link_method as {{ dbt.type_string() }}) as link_method,
        cast(link_score as {{ spro_type_double() }}) as link_score
    from source
)

select * from final
