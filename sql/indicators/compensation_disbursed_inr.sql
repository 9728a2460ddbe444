-- Sum of amounts paid, by the financial year of payment, per partner.
with

claims as (
    select * from fct_compensation_claims
),

paid as (
    select
        partner_id,
        disbursed_amount_inr,
        unnest(periods_of(disbursed_date)) as period,
    from claims
    where disbursed_amount_inr is not null and disbursed_amount_inr > 0
),

final as (
    select
        period,
        partner_id,
        sum(disbursed_amount_inr)::double as numerator,
        null::double as denominator,
        numerator as value,
    from paid
    group by period, partner_id
)

select * from final
