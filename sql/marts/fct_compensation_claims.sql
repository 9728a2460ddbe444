-- One row per compensation claim record of a partner (its newest version),
-- with the delays the programme tracks (application to award, award to
-- payment), as the research tier may hold it: int_compensation_claims with
-- an allow-list of columns. The partner's references become record keys
-- (claim_record_key, and the survivor's and case's records' keys); the
-- record's file and row stay in the restricted area.
with

claims as (
    select * from int_compensation_claims
),

final as (
    select
        record_key('claim', claim_record_id) as claim_record_key,
        claim_key,
        case_key,
        person_key,
        records_in_claim,
        partner_id,
        record_key('survivor', survivor_record_id) as survivor_record_key,
        record_key('case', case_record_id) as case_record_key,
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
        days_application_to_award,
        days_award_to_payment,
        versions_in_exports,
    from claims
)

select * from final
