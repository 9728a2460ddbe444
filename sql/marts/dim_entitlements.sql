-- One row per entitlement application, however many partners recorded it
-- (int_entitlements finds which records are one: entitlement_key). The
-- golden record: applied and escalated on the earliest date any
-- record gives, decided and received on the earliest, received when any
-- record says so, else rejected, else pending, else withdrawn; the
-- authority and its place from the newest record that names them.
with

members as (
    select * from int_entitlements
),

golden as (
    select
        entitlement_key,
        any_value(person_key) filter (where person_key is not null) as person_key,
        count(*) as records,
        count(distinct partner_id) as partners,
        list(distinct partner_id order by partner_id) as partner_ids,
        any_value(entitlement) filter (where entitlement is not null) as entitlement,
        any_value(entitlement_family) filter (where entitlement_family is not null) as entitlement_family,
        any_value(core_document) filter (where core_document is not null) as core_document,
        arg_max(authority, source_file_order) filter (where authority is not null) as authority,
        arg_max(district, source_file_order) filter (where district is not null) as district,
        arg_max(block, source_file_order) filter (where block is not null) as block,
        arg_max(gram_panchayat, source_file_order) filter (where gram_panchayat is not null) as gram_panchayat,
        min(applied_date) as applied_date,
        min(decision_date) as decision_date,
        min(received_date) as received_date,
        bool_or(is_received) as is_received,
        bool_or(is_rejected) and not bool_or(is_received) as is_rejected,
        case
            when bool_or(is_received) then 'received'
            when bool_or(is_rejected) then 'rejected'
            when bool_or(status = 'pending') then 'pending'
            when bool_or(status = 'withdrawn') then 'withdrawn'
        end as status,
        min(escalation_date) as escalation_date,
        arg_min(escalated_to, escalation_date) filter (where escalated_to is not null) as escalated_to,
        min(escalation_resolved_date) as escalation_resolved_date,
    from members
    group by entitlement_key
),

final as (
    select
        *,
        date_diff('day', applied_date, received_date) as days_application_to_receipt,
        date_diff('day', escalation_date, escalation_resolved_date) as days_escalation_to_resolution,
    from golden
)

select * from final
