{#- The public dimension: every combination of sex, age band and status, with French labels. -#}
with

sexes as (
    select * from {{ ref('ref_sexes') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

statuses as (
    select * from {{ ref('ref_public_statuses') }}
),

final as (
    select
        {{ spro_key(['sexes.sex_code', 'age_bands.age_band_code', 'statuses.status_code']) }} as public_key,
        cast(sexes.sex_code as {{ dbt.type_string() }}) as sex_code,
        cast(sexes.label_fr as {{ dbt.type_string() }}) as sex_label_fr,
        cast(age_bands.age_band_code as {{ dbt.type_string() }}) as age_band_code,
        cast(age_bands.label_fr as {{ dbt.type_string() }}) as age_band_label_fr,
        cast(statuses.status_code as {{ dbt.type_string() }}) as public_status_code,
        cast(statuses.label_fr as {{ dbt.type_string() }}) as public_status_label_fr
    from sexes
    cross join age_bands
    cross join statuses
)

select * from final
