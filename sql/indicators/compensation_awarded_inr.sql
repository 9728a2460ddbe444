-- Sum of final awards, by the financial year of the award, per partner.
with

claims as (
    select * from fct_compensation_claims
),

awarded as (
    select
        partner_id,
        awarded_amount_inr,
        unnest(periods_of(award_date)) as period,
    from claims
    where awarded_amount_inr is not null and awarded_amount_inr > 0
),

final as (
    select
        period,
        partner_id,
        sum(awarded_amount_inr)::double as numerator,
        null::double as denominator,
        numerator as value,
    from awarded
    group by period, partner_id
)

select * from final
