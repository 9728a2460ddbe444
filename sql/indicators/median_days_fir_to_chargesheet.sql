-- Median days from FIR to charge-sheet, by the financial year of the charge-sheet.
-- Per partner, for the consortium's linked cases, and by each breakdown;
-- the investigated_by breakdown sets cases an AHTU investigated against
-- those left with the local police (the AHTU engagement study).
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        date_diff('day', fir_date, chargesheet_date) as days_fir_to_chargesheet,
        unnest(periods_of(chargesheet_date)) as period,
    from cases
    where fir_date is not null and chargesheet_date >= fir_date
),

final as (
    select
        period,
        dimension,
        dimension_value,
        null::bigint as numerator,
        null::bigint as denominator,
        median(days_fir_to_chargesheet) as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
