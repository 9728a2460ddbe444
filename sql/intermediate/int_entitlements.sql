-- One row per entitlement application record of a partner (its newest
-- version), with its family, the person her survivor record was linked to,
-- and the delays the programme tracks (application to decision and to
-- receipt, escalation to resolution).
-- Versions of the same entitlement_ref: the newest export wins, as for
-- claims (newest_versions in sql/macros.sql).
with

blocks as (
    select * from stg_reference__blocks
),

entitlements as (
    select * from stg_lake__entitlements
),

kinds as (
    select * from stg_reference__entitlements
),

people as (
    select * from int_people_by_reference
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(entitlements, entitlement_ref)
),

final as (
    select
        v.partner_id || ':' || v.entitlement_ref as entitlement_record_id,
        v.partner_id,
        v.entitlement_ref,
        case when v.survivor_ref is not null then v.partner_id || ':' || v.survivor_ref end as survivor_record_id,
        p.person_key,
        v.entitlement,
        k.entitlement_family,
        k.core_document,
        v.authority,
        -- The district the block lies in when the register names only the block.
        coalesce(v.district, b.district) as district,
        v.block,
        v.gram_panchayat,
        v.applied_date,
        v.decided_date,
        v.received_date,
        -- A receipt is a decision: a register that writes only the date
        -- received decided it by then.
        coalesce(v.decided_date, v.received_date) as decision_date,
        v.status,
        -- Received when the register says so or dates the receipt;
        -- rejected only when not received (a later receipt wins).
        coalesce(v.status = 'received', false) or v.received_date is not null as is_received,
        coalesce(v.status = 'rejected', false) and v.received_date is null as is_rejected,
        v.escalation_date,
        v.escalated_to,
        v.escalation_resolved_date,
        date_diff('day', v.applied_date, v.received_date) as days_application_to_receipt,
        date_diff('day', v.escalation_date, v.escalation_resolved_date) as days_escalation_to_resolution,
        v.versions_in_exports,
        v.source_file,
        v.source_file_order,
        v.source_row,
        v.record_hash,
    from versioned v
    left join blocks b on b.block = v.block
    left join kinds k using (entitlement)
    left join people p on p.partner_id = v.partner_id and p.survivor_ref = v.survivor_ref
),

-- Which records are one application (an NGO and a survivors' collective
-- often both follow the same ration card): within a linked person and
-- entitlement, in order of application, a record starts a new
-- application when it was applied for more than 60 days after the one
-- before. A record with no linked person or no entitlement is an
-- application of its own; one with no application date, see below.
ordered as (
    select
        entitlement_record_id,
        person_key,
        entitlement,
        applied_date,
        date_diff(
            'day',
            lag(applied_date) over (partition by person_key, entitlement order by applied_date, entitlement_record_id),
            applied_date
        ) as days_after_previous,
    from final
    where person_key is not null and entitlement is not null and applied_date is not null
),

dated as (
    select
        entitlement_record_id,
        person_key,
        entitlement,
        person_key || '|' || entitlement || '|' || sum(case when days_after_previous is null or days_after_previous > 60 then 1 else 0 end)
            over (partition by person_key, entitlement order by applied_date, entitlement_record_id rows unbounded preceding)
            as application,
    from ordered
),

-- A person's applications of each entitlement among the dated records.
dated_applications as (
    select person_key, entitlement, min(application) as application, count(distinct application) as applications,
    from dated
    group by all
),

grouped as (
    select entitlement_record_id, application,
    from dated
    union all
    -- A record whose application date is unreadable is the person's one
    -- application of the entitlement when the dated records hold exactly
    -- one (or none: then it is one with her other undated records of it),
    -- as a claim naming only its survivor joins her one other claim.
    select
        f.entitlement_record_id,
        case
            when d.applications = 1 then d.application
            when d.applications is null then 'undated|' || f.person_key || '|' || f.entitlement
            else f.entitlement_record_id
        end as application,
    from final f
    left join dated_applications d using (person_key, entitlement)
    where f.person_key is not null and f.entitlement is not null and f.applied_date is null
    union all
    select entitlement_record_id, entitlement_record_id as application,
    from final
    where person_key is null or entitlement is null
),

-- The application's key: a keyed record key of its first record, so no
-- partner's reference can be read back from it.
keyed as (
    select
        entitlement_record_id,
        replace(
            record_key('entitlement_application', min(entitlement_record_id) over (partition by application)),
            'R-',
            'E-'
        ) as entitlement_key,
        count(*) over (partition by application) as records_in_application,
    from grouped
)

select final.*, keyed.entitlement_key, keyed.records_in_application,
from final
join keyed using (entitlement_record_id)
