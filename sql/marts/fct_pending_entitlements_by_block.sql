-- Entitlement applications pending more than 90 days at the run's date, by
-- block, gram panchayat, the authority that owes them and the entitlement:
-- what a survivors' collective takes to a block or panchayat meeting.
-- Counts of the consortium's applications (dim_entitlements: an
-- application two partners recorded counts once), pending by the macro
-- pending_over_90_days_on, as the indicator counts them; no person, no date. The
-- reports publish it with the indicators' suppression (a count below k
-- reads "<k", and a block's total is hidden when any of its rows is).
with

applications as (
    select * from dim_entitlements
),

as_of as (
    select period_end as as_of from dim_periods where period = 'All time'
),

pending as (
    select
        coalesce(a.district, 'unknown') as district,
        coalesce(a.block, 'unknown') as block,
        coalesce(a.gram_panchayat, 'unknown') as gram_panchayat,
        coalesce(a.authority, 'unknown') as authority,
        coalesce(a.entitlement, 'unknown') as entitlement,
        coalesce(a.entitlement_family, 'unknown') as entitlement_family,
    from applications a, as_of
    where pending_over_90_days_on(
        as_of.as_of, a.applied_date, a.decision_date, a.status, a.is_received, a.is_rejected
    )
),

final as (
    select
        district,
        block,
        gram_panchayat,
        authority,
        entitlement_family,
        entitlement,
        count(*)::bigint as pending_over_90_days,
    from pending
    group by all
)

select * from final
