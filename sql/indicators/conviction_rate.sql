-- NCRB conviction rate = convicted / (convicted + acquitted + discharged) x 100,
-- by the financial year of the judgment, per partner.
with

cases as (
    select * from fct_cases
),

completed as (
    select
        partner_id,
        outcome,
        unnest(periods_of(judgment_date)) as period,
    from cases
    where is_trial_completed
),

final as (
    select
        period,
        partner_id,
        count(*) filter (where outcome = 'convicted')::double as numerator,
        count(*)::double as denominator,
        100.0 * numerator / denominator as value,
    from completed
    group by period, partner_id
)

select * from final
