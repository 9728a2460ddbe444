-- Sum of amounts paid, by the financial year of payment, per partner and for the consortium's linked claims.
with

claims as (
    select * from fct_claims_by_scope
),

paid as (
    select
        dimension,
        dimension_value,
        disbursed_amount_inr,
        unnest(periods_of(disbursed_date)) as period,
    from claims
    where disbursed_amount_inr is not null and disbursed_amount_inr > 0
),

final as (
    select
        period,
        dimension,
        dimension_value,
        sum(disbursed_amount_inr)::double as numerator,
        null::double as denominator,
        numerator as value,
    from paid
    group by period, dimension, dimension_value
)

select * from final
