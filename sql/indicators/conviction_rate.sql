-- NCRB conviction rate = convicted / (convicted + acquitted + discharged) x 100,
-- by the financial year of the judgment.
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
        date_trunc('month', judgment_date)::date as month,
        count(*) filter (where outcome = 'convicted') as hits,
        count(*) as records,
    from cases
    where is_trial_completed
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
