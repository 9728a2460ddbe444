-- Share of trafficking FIRs that reached an AHTU within 24 hours, by the
-- financial year of the FIR (the Calcutta High Court's 2018 direction).
-- Per partner, for the consortium's linked cases, and by each breakdown.
-- "Within 24 hours": transferred on the day of the FIR or the day after
-- (records hold dates, not times). A case an AHTU holds with no transfer
-- date recorded cannot be shown to have reached it in time, and is not
-- counted as within.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(fir_date)) as period,
    from cases
    where is_trafficking_case and fir_date is not null
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (
            where ahtu_transfer_date >= fir_date and date_diff('day', fir_date, ahtu_transfer_date) <= 1
        )::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
