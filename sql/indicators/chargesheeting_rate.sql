-- NCRB charge-sheeting rate = charge-sheeted / (charge-sheeted + final reports) x 100,
-- by the financial year of the police report.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(police_disposal_date)) as period,
    from cases
    where police_disposal is not null
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where police_disposal = 'chargesheet')::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
