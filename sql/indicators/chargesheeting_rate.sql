-- NCRB charge-sheeting rate = charge-sheeted / (charge-sheeted + final reports) x 100,
-- by the financial year of the police report.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

-- Counted per scope and month, then each month spread into its periods
-- (see periods_of): the same figures from far fewer rows.
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

counted as (
    select
        *,
        unnest(periods_of(month)) as period,
    from monthly
),

final as (
    select
        period,
        dimension,
        dimension_value,
        sum(hits)::bigint as numerator,
        sum(records)::bigint as denominator,
        100.0 * numerator / denominator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
