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

counted as (
    select e.dimension, e.dimension_value, p.period,
    from entitlements e
    join periods p
        on pending_over_90_days_on(
            p.period_end, e.applied_date, e.decision_date, e.status, e.is_received, e.is_rejected
        )
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
