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

-- Per survivor and period: whether she had applied for a core document by
-- its end, and which she had received by then.
held as (
    select
        d.dimension,
        d.dimension_value,
        d.survivor_key,
        p.period,
        count(distinct d.core_document) filter (where d.received_date <= p.period_end) as documents_held,
    from documents d
    join periods p on coalesce(d.applied_date, d.received_date) <= p.period_end
    group by all
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where documents_held = 3)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from held
    group by period, dimension, dimension_value
)

select * from final
