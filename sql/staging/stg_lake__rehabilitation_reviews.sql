-- Staging: the lake's rehabilitation_reviews as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_rehabilitation_reviews
),

final as (
    select
        partner_id,
        review_ref,
        survivor_ref,
        review_date,
        next_review_due,
        reviewed_safety,
        reviewed_health,
        reviewed_mental_health,
        reviewed_livelihood,
        reviewed_education,
        reviewed_legal,
        reviewed_family,
        risk_threat_from_accused,
        risk_retrafficking,
        risk_forced_marriage,
        risk_domestic_violence,
        referral_made,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
