-- Cases transferred to the CID, by the financial year of the transfer.
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
        date_trunc('month', cid_transfer_date)::date as month,
        count(*) as records,
    from cases
    where is_transferred_to_cid
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
        sum(records)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
