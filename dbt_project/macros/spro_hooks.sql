{#- on-run-start: the linkage step (pipelines/linkage) writes ops.person_links. Until it has run,
    an empty table stands in for it, so that staging reads it and every identity counts as its
    own person (person_key = identity_key). Idempotent: never touches an existing table. -#}
{% macro spro_create_person_links_if_missing() -%}
    {{ return(adapter.dispatch('spro_create_person_links_if_missing', 'spro')()) }}
{%- endmacro %}

{% macro default__spro_create_person_links_if_missing() -%}
    create table if not exists ops.person_links (
        identity_key {{ dbt.type_string() }},
        person_key {{ dbt.type_string() }},
        link_method {{ dbt.type_string() }},
        link_score {{ spro_type_double() }}
    )
{%- endmacro %}

{% macro spark__spro_create_person_links_if_missing() -%}
    create table if not exists ops.person_links (
        identity_key string, person_key string, link_method string, link_score double
    ) using parquet
{%- endmacro %}

{% macro spro_create_ops_schema() -%}
    {{ return(adapter.dispatch('spro_create_ops_schema', 'spro')()) }}
{%- endmacro %}

{% macro default__spro_create_ops_schema() -%}
    create schema if not exists ops
{%- endmacro %}

{% macro spark__spro_create_ops_schema() -%}
    create database if not exists ops
{%- endmacro %}
