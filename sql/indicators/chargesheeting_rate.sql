-- NCRB charge-sheeting rate = charge-sheeted / (charge-sheeted + final reports) x 100,
-- by the financial year of the police report.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

-- Counted per scope and month; share_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', police_disposal_date)::date as month,
        count(*) filter (where police_disposal = 'chargesheet') as hits,
        count(*) as records,
    from cases
    where police_disposal is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
