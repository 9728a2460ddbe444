-- Cases transferred to an AHTU, by the financial year of the transfer.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

-- Counted per scope and month; count_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', ahtu_transfer_date)::date as month,
        count(*) as records,
    from cases
    where is_transferred_to_ahtu
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
