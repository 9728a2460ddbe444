-- Sum of final awards, by the financial year of the award, per partner and for the consortium's linked claims.
with

claims as (
    select * from fct_claims_by_scope
),

awarded as (
    select
        dimension,
        dimension_value,
        awarded_amount_inr,
        unnest(periods_of(award_date)) as period,
    from claims
    where awarded_amount_inr is not null and awarded_amount_inr > 0
),

final as (
    select
        period,
        dimension,
        dimension_value,
        sum(awarded_amount_inr)::double as numerator,
        null::double as denominator,
        numerator as value,
    from awarded
    group by period, dimension, dimension_value
)

select * from final
