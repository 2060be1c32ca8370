{#- The rows of the latest version of each (sender, month) file: a corrected re-send (file_version
    2, 3...) replaces the earlier one, whatever the ingestion engine keeps in raw. -#}
{% macro spro_latest_file_version(relation) -%}
    select source_rows.*
    from {{ relation }} as source_rows
    inner join (
        select
            coalesce(sender_code, '') as latest_sender_code,
            period_month as latest_period_month,
            max(file_version) as latest_file_version
        from {{ relation }}
        group by coalesce(sender_code, ''), period_month
    ) as latest
        on coalesce(source_rows.sender_code, '') = latest.latest_sender_code
        and source_rows.period_month = latest.latest_period_month
        and source_rows.file_version = latest.latest_file_version
{%- endmacro %}

{#- A readable composite key: parts joined with '|' (null parts become ''). -#}
{% macro spro_key(parts) -%}
    {%- set pieces = [] -%}
    {%- for part in parts -%}
        {%- do pieces.append("coalesce(cast(" ~ part ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last -%}{%- do pieces.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.concat(pieces) }}
{%- endmacro %}

{#- A column that some deployments do not have (e.g. raw.rio_entries.commune_insee is stored as
    commune_insee_pseudo when a contract declares it personal): the column when the relation has
    it, else a typed null. Introspected at run time, on any adapter. -#}
{% macro spro_optional_column(relation, column_name, data_type) -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if column_name | lower in names -%}
            {{ return(column_name) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('cast(null as ' ~ data_type ~ ')') }}
{%- endmacro %}

{#- A source table, or an empty relation of the same declared columns (data_type in _sources.yml)
    when it does not exist yet: dbt can build on a warehouse where ingestion has loaded nothing
    (a feed never received, a fresh test warehouse). The source() call keeps the lineage. -#}
{% macro spro_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}{{ return(relation) }}{%- endif -%}
    {%- if load_relation(relation) is not none -%}{{ return(relation) }}{%- endif -%}
    {{ return(spro_empty_relation(graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name])) }}
{%- endmacro %}

{#- An empty relation with the documented columns (data_type in the YAML) of a source or model node. -#}
{% macro spro_empty_relation(node) -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do columns.append('cast(null as ' ~ spro_portable_type(column.data_type) ~ ') as ' ~ column.name) -%}
    {%- endfor -%}
    {{ return('(select ' ~ (columns | join(', ')) ~ ' where 1 = 0)') }}
{%- endmacro %}

{% macro spro_portable_type(data_type) -%}
    {%- set kind = (data_type or 'varchar') | lower -%}
    {%- if kind in ('varchar', 'string', 'text') -%}{{ return(dbt.type_string()) }}
    {%- elif kind in ('bigint', 'integer', 'int') -%}{{ return(dbt.type_bigint() if kind == 'bigint' else dbt.type_int()) }}
    {%- elif kind in ('double', 'float', 'decimal') -%}{{ return(spro_type_double()) }}
    {%- elif kind == 'timestamp' -%}{{ return(dbt.type_timestamp()) }}
    {%- elif kind == 'boolean' -%}{{ return(dbt.type_boolean()) }}
    {%- else -%}{{ return(kind) }}
    {%- endif -%}
{%- endmacro %}

{#- ref() to a monthly incremental model from a whole-history model: the model, or an empty
    relation of its documented columns (data_type in its _*__models.yml) while the monthly
    partitions have not built it yet, so the unpartitioned Dagster assets build on a fresh warehouse. -#}
{% macro spro_ref(model_name) -%}
    {%- set relation = ref(model_name) -%}
    {%- if not execute -%}{{ return(relation) }}{%- endif -%}
    {%- if load_relation(relation) is not none -%}{{ return(relation) }}{%- endif -%}
    {{ return(spro_empty_relation(graph.nodes['model.' ~ project_name ~ '.' ~ model_name])) }}
{%- endmacro %}
