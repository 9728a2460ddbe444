-- NCRB charge-sheeting rate = charge-sheeted / (charge-sheeted + final reports) x 100,
-- by the financial year of the police report, per partner.
with

cases as (
    select * from fct_cases
),

disposed as (
    select
        partner_id,
        police_disposal,
        unnest(periods_of(police_disposal_date)) as period,
    from cases
    where police_disposal is not null
),

final as (
    select
        period,
        partner_id,
        count(*) filter (where police_disposal = 'chargesheet')::double as numerator,
        count(*)::double as denominator,
        100.0 * numerator / denominator as value,
    from disposed
    group by period, partner_id
)

select * from final
