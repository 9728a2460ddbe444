-- Median days from award to payment, by the financial year of the payment.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(disbursed_date)) as period,
    from claims
    where days_award_to_payment >= 0
),

final as (
    select
        period,
        dimension,
        dimension_value,
        null::bigint as numerator,
        null::bigint as denominator,
        median(days_award_to_payment) as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
