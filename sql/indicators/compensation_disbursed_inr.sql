-- Sum of payments made, by the financial year of the payment.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

-- Counted per scope and month; total_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', disbursed_date)::date as month,
        sum(disbursed_amount_inr) as amount,
        count(*) as records,
    from claims
    where disbursed_amount_inr > 0
    group by all
),

final as (
    select * from total_by_period(monthly)
)

select * from final
