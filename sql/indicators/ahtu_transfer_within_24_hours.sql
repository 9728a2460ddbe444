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

-- Counted per scope and month; share_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', fir_date)::date as month,
        count(*) filter (
            where ahtu_transfer_date >= fir_date and date_diff('day', fir_date, ahtu_transfer_date) <= 1
        ) as hits,
        count(*) as records,
    from cases
    where is_trafficking_case and fir_date is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
