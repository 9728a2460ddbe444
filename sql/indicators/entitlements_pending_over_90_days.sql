-- Applications pending more than 90 days at the period's end: applied for
-- at least 90 days before it, and neither decided nor received by then nor
-- withdrawn. An application recorded as received or rejected with no date
-- is not pending (it was decided, when is unknown). 'All time' is measured
-- at the run's as-of date. Per partner, for the consortium's applications,
-- and by each breakdown: what a collective takes to the block or panchayat.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

periods as (
    select * from dim_periods
),

open_applications as (
    select
        dimension,
        dimension_value,
        entitlement_key,
        applied_date,
        decision_date,
    from entitlements
    where applied_date is not null
        and coalesce(status, '') <> 'withdrawn'
        and (decision_date is not null or not (is_received or is_rejected))
),

counted as (
    select o.dimension, o.dimension_value, p.period,
    from open_applications o
    join periods p
        on o.applied_date <= p.period_end - interval 90 day
        and (o.decision_date is null or o.decision_date > p.period_end)
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
