-- Staging: the lake's compensation_claims as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_compensation_claims
),

final as (
    select
        partner_id,
        claim_ref,
        survivor_ref,
        case_ref,
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
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
