-- Share of inter-state cases (destination outside West Bengal), by the financial year of the FIR.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(fir_date)) as period,
    from cases
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where is_inter_state)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
