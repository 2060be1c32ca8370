with

months as (
    select * from {{ ref('int_months_enumerated') }}
),

final as (
    select
        month_start,
        month_end,
        year_number,
        month_number,
        year_start,
        campaign_start,
        {{ dbt.concat(["cast(extract(year from campaign_start) as " ~ dbt.type_string() ~ ")", "'-'",
                       "cast(extract(year from campaign_start) + 1 as " ~ dbt.type_string() ~ ")"]) }} as campaign_label,
        case month_number
            when 1 then 'janvier' when 2 then 'février' when 3 then 'mars' when 4 then 'avril'
            when 5 then 'mai' when 6 then 'juin' when 7 then 'juillet' when 8 then 'août'
            when 9 then 'septembre' when 10 then 'octobre' when 11 then 'novembre' else 'décembre'
        end as month_name_fr
    from months
)

select * from final
