-- Cases transferred to the CID, by the financial year of the transfer.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(cid_transfer_date)) as period,
    from cases
    where is_transferred_to_cid
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
