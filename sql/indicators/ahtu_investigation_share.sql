-- Share of trafficking cases investigated by an AHTU, by the financial year of the FIR.
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
        count(*) filter (where is_transferred_to_ahtu) as hits,
        count(*) as records,
    from cases
    where is_trafficking_case
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
