-- Survivors holding the three core documents at the period's end (an
-- identity document, a ration card and a bank account, each received by
-- then), out of the survivors with an application for any of them by
-- then. 'All time' is measured at the run's as-of date. Per partner and for
-- the consortium's linked survivors.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

periods as (
    select * from dim_periods
),

documents as (
    select dimension, dimension_value, survivor_key, core_document, applied_date, received_date,
    from entitlements
    -- A survivor's documents are owed by several authorities in several
    -- places: only the partner and consortium scopes count her whole.
    where core_document is not null and dimension in ('partner', 'consortium')
),

-- Per survivor: when she first applied for a core document, and when she
-- held all three (the latest of each document's first receipt; never when
-- one is missing). A stock at a period's end is then two comparisons per
-- survivor and period, not a pass over her documents for every period.
per_document as (
    select
        dimension,
        dimension_value,
        survivor_key,
        core_document,
        min(coalesce(applied_date, received_date)) as first_applied,
        min(received_date) as first_received,
    from documents
    group by all
),

per_survivor as (
    select
        dimension,
        dimension_value,
        survivor_key,
        min(first_applied) as first_applied,
        case when count(first_received) = 3 then max(first_received) end as holds_all_from,
    from per_document
    group by all
),

held as (
    select
        s.dimension,
        s.dimension_value,
        p.period,
        s.holds_all_from <= p.period_end as holds_all,
    from per_survivor s
    join periods p on s.first_applied <= p.period_end
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where holds_all)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from held
    group by period, dimension, dimension_value
)

select * from final
