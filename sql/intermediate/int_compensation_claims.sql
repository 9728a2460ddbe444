-- One row per compensation claim record of a partner, with the delays the
-- programme tracks (application to award, award to payment).
-- Versions of the same claim_ref: the newest export wins. claim_key and
-- case_key are what linkage found (src/link/entities.rs): the same claim in
-- several partners' exports is one claim.
with

claims as (
    select * from stg_lake__compensation_claims
),

links as (
    select partner_id, source_file, source_row, claim_key, case_key, person_key, records_in_claim,
    from stg_lake__link_claims
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(claims, claim_ref)
),

final as (
    select
        partner_id || ':' || claim_ref as claim_record_id,
        claim_key,
        case_key,
        person_key,
        records_in_claim,
        partner_id,
        claim_ref,
        case when survivor_ref is not null then partner_id || ':' || survivor_ref end as survivor_record_id,
        case when case_ref is not null then partner_id || ':' || case_ref end as case_record_id,
        scheme,
        forum,
        application_date,
        filed_with_legal_aid,
        interim_amount_inr,
        interim_date,
        awarded_amount_inr,
        award_date,
        status,
        disbursed_amount_inr,
        disbursed_date,
        date_diff('day', application_date, award_date) as days_application_to_award,
        date_diff('day', award_date, disbursed_date) as days_award_to_payment,
        versions_in_exports,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from versioned
    left join links using (partner_id, source_file, source_row)
)

select * from final
