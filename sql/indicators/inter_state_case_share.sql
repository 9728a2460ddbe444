-- Share of inter-state cases (destination outside West Bengal), by the financial year of the FIR.
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
        date_trunc('month', fir_date)::date as month,
        count(*) filter (where is_inter_state) as hits,
        count(*) as records,
    from cases
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
