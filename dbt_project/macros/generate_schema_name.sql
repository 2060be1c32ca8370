{#- Layers get plain schema names (seeds, staging, marts...) rather than dbt's default
    "<target schema>_<custom schema>", so analysts query `marts.fct_service_acts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
