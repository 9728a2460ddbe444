-- NCRB conviction rate = convicted / (convicted + acquitted + discharged) x 100,
-- by the financial year of the judgment.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(judgment_date)) as period,
    from cases
    where is_trial_completed
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where outcome = 'convicted')::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
