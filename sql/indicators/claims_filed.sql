-- Compensation claims filed, by the financial year of the application.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

-- Counted per scope and month; count_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', application_date)::date as month,
        count(*) as records,
    from claims
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
