-- Share of charge-sheets filed within 90 days of the FIR, by the financial year of the charge-sheet.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

-- Counted per scope and month; share_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
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

final as (
    select * from share_by_period(monthly)
)

select * from final
