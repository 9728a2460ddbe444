-- Share of awards made within two months of the application, by the financial year of the award.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

-- Counted per scope and month; share_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', award_date)::date as month,
        count(*) filter (where award_date <= application_date + interval 2 month) as hits,
        count(*) as records,
    from claims
    where application_date is not null and award_date >= application_date
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
