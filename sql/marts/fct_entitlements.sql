-- One row per entitlement application record of a partner (its newest
-- version), as the research tier may hold it: int_entitlements with an
-- allow-list of columns. The partner's references become record keys; the
-- record's file and row stay in the restricted area.
with

entitlements as (
    select * from int_entitlements
),

final as (
    select
        record_key('entitlement', entitlement_record_id) as entitlement_record_key,
        entitlement_key,
        records_in_application,
        person_key,
        partner_id,
        record_key('survivor', survivor_record_id) as survivor_record_key,
        entitlement,
        entitlement_family,
        core_document,
        authority,
        district,
        block,
        gram_panchayat,
        applied_date,
        decided_date,
        decision_date,
        received_date,
        status,
        is_received,
        is_rejected,
        escalation_date,
        escalated_to,
        escalation_resolved_date,
        days_application_to_receipt,
        days_escalation_to_resolution,
        versions_in_exports,
    from entitlements
)

select * from final
