-- Share of engagements a survivor led or spoke for, of those recording
-- whether one did, by the financial year of the engagement. Per partner,
-- for the consortium, and by level and place.
with

engagements as (
    select * from fct_engagements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', engagement_date)::date as month,
        count(*) filter (where survivor_led) as hits,
        count(*) as records,
    from engagements
    where survivor_led is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
