-- Share of charge-sheets filed within 60 days of the FIR, by the financial year of the charge-sheet.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(chargesheet_date)) as period,
    from cases
    where fir_date is not null and chargesheet_date >= fir_date
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where date_diff('day', fir_date, chargesheet_date) <= 60)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
