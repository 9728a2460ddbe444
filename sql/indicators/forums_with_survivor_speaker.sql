-- State and national forums at which a survivor spoke, by the financial
-- year of the forum. Per partner, for the consortium, and by level and place.
with

engagements as (
    select * from fct_engagements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', engagement_date)::date as month,
        count(*) as records,
    from engagements
    where is_forum and survivor_led
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
