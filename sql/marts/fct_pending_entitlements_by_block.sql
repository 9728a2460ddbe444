-- Entitlement applications pending more than 90 days at the run's date, by
-- block, gram panchayat, the authority that owes them and the entitlement:
-- what a survivors' collective takes to a block or panchayat meeting.
-- Counts of the consortium's applications (dim_entitlements: an
-- application two partners recorded counts once), pending as the
-- indicator of pending applications counts them; no person, no date. The
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
    where a.applied_date is not null
        and coalesce(a.status, '') <> 'withdrawn'
        and (a.decision_date is not null or not (a.is_received or a.is_rejected))
        and a.applied_date <= as_of.as_of - interval 90 day
        and (a.decision_date is null or a.decision_date > as_of.as_of)
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
