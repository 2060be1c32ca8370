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
