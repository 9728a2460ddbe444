-- Median days from application to receipt of an entitlement, by the
-- financial year of the receipt. Per partner, for the consortium's
-- applications, and by each breakdown.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(received_date)) as period,
    from entitlements
    where days_application_to_receipt >= 0
),

final as (
    select
        period,
        dimension,
        dimension_value,
        null::bigint as numerator,
        null::bigint as denominator,
        median(days_application_to_receipt) as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
