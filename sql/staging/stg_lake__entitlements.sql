-- Staging: the lake's entitlements as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_entitlements
),

final as (
    select
        partner_id,
        entitlement_ref,
        survivor_ref,
        entitlement,
        authority,
        district,
        block,
        gram_panchayat,
        applied_date,
        decided_date,
        received_date,
        status,
        escalation_date,
        escalated_to,
        escalation_resolved_date,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
