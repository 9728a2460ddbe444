-- Share of inter-state cases (destination outside West Bengal), by the financial year of the FIR.
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
        date_trunc('month', fir_date)::date as month,
        count(*) filter (where is_inter_state) as hits,
        count(*) as records,
    from cases
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
