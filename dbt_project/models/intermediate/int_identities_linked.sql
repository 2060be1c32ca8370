{#- Every identity the linkage step has placed, with its person: identity_key -> person_key (the
    identity's own key for a singleton). An identity loaded after the last linkage run is not here
    yet: its readers (int_service_acts_unified, int_psad_journeys_assembled) fall back to the
    identity key itself, so that it still counts once.

    A view, not a table: the linkage writes one row per identity (the unique test below holds it to
    that), so there is nothing to aggregate, and the table this used to be (all identity keys of
    ops.identity_tokens joined to the links) was rebuilt whole on every monthly run: 103 s of a
    month's 463 s at ten region years, growing with the history, for two columns its readers use. -#}
{{ config(materialized='view') }}

with

links as (
    select * from {{ ref('stg_ops__person_links') }}
),

final as (
    select
        identity_key,
        person_key,
        link_method
    from links
    where identity_key is not null
)

select * from final
