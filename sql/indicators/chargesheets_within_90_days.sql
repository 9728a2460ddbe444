-- Share of charge-sheets filed within 90 days of the FIR, by the financial year of the charge-sheet.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

-- A record's periods follow from its date's month (see periods_of), so
-- the records are counted per scope and month first and each month is
-- then spread into its periods: the same figures, from some six thousand
-- rows where there were seven million at a million survivors.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', chargesheet_date)::date as month,
        count(*) filter (where date_diff('day', fir_date, chargesheet_date) <= 90) as hits,
        count(*) as records,
    from cases
    where fir_date is not null and chargesheet_date >= fir_date
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
