{#- Every identity key with its person: person_key from the linkage step, or the identity key
    itself when it is not linked (so that an unlinked identity still counts once). -#}
with

tokens as (
    select * from {{ ref('stg_ops__identity_tokens') }}
),

links as (
    select * from {{ ref('stg_ops__person_links') }}
),

token_attributes as (
    select
        identity_key,
        min(sender_code) as sender_code,
        min(table_name) as table_name
    from tokens
    group by identity_key
),

link_per_identity as (
    select
        identity_key,
        max(person_key) as person_key,
        max(link_method) as link_method
    from links
    group by identity_key
),

all_identities as (
    select identity_key from token_attributes
    union
    select identity_key from link_per_identity
),

final as (
    select
        all_identities.identity_key,
        coalesce(link_per_identity.person_key, all_identities.identity_key) as person_key,
        coalesce(link_per_identity.link_method, 'unlinked') as link_method,
        token_attributes.sender_code,
        token_attributes.table_name
    from all_identities
    left join token_attributes on all_identities.identity_key = token_attributes.identity_key
    left join link_per_identity on all_identities.identity_key = link_per_identity.identity_key
)

select * from final
