-- Entitlement applications as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   application records (their newest version);
--   dimension 'consortium', dimension_value 'all': the applications of
--   dim_entitlements, so an application an NGO and a collective both
--   recorded counts once;
--   dimensions 'entitlement_family', 'authority', 'district', 'block' and
--   'gram_panchayat' (the application's own, 'unknown' when no record
--   says): the applications again, one value each, so a breakdown's rows
--   add up to the consortium row.
-- survivor_key counts survivors: the application's linked person, else
-- (no survivor record linked) the application itself.
with

partner_records as (
    select
        'partner' as dimension,
        partner_id as dimension_value,
        entitlement_key,
        coalesce(person_key, survivor_record_key, entitlement_key) as survivor_key,
        * exclude (partner_id, entitlement_key, person_key, survivor_record_key),
    from fct_entitlements
),

applications as (
    select
        entitlement_key,
        coalesce(person_key, entitlement_key) as survivor_key,
        * exclude (entitlement_key, person_key, records, partners, partner_ids),
    from dim_entitlements
),

by_values as (
    select
        entitlement_key,
        coalesce(entitlement_family, 'unknown') as by_entitlement_family,
        coalesce(authority, 'unknown') as by_authority,
        coalesce(district, 'unknown') as by_district,
        coalesce(block, 'unknown') as by_block,
        coalesce(gram_panchayat, 'unknown') as by_gram_panchayat,
    from applications
),

breakdowns as (
    unpivot by_values
    on columns('^by_')
    into name dimension value dimension_value
),

columns as (
    select
        dimension,
        dimension_value,
        entitlement_key,
        survivor_key,
        entitlement,
        entitlement_family,
        core_document,
        authority,
        block,
        gram_panchayat,
        applied_date,
        decision_date,
        received_date,
        status,
        is_received,
        is_rejected,
        escalation_date,
        escalation_resolved_date,
        days_application_to_receipt,
        days_escalation_to_resolution,
    from partner_records
),

final as (
    select * from columns
    union all by name
    select 'consortium' as dimension, 'all' as dimension_value, * exclude (district),
    from applications
    union all by name
    select substr(b.dimension, 4) as dimension, b.dimension_value, a.* exclude (district),
    from breakdowns b
    join applications a using (entitlement_key)
)

select * from final
