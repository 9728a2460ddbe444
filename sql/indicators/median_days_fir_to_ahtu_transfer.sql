-- Median days from FIR to the transfer to an AHTU, by the financial year
-- of the transfer. Per partner, for the consortium's linked cases, and by
-- each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        date_diff('day', fir_date, ahtu_transfer_date) as days_fir_to_transfer,
        unnest(periods_of(ahtu_transfer_date)) as period,
    from cases
    where fir_date is not null and ahtu_transfer_date >= fir_date
),

final as (
    select
        period,
        dimension,
        dimension_value,
        null::bigint as numerator,
        null::bigint as denominator,
        median(days_fir_to_transfer) as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
