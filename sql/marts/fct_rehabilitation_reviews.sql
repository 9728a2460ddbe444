-- One row per rehabilitation review record of a partner (its newest
-- version), as the research tier may hold it: the dates, the domains
-- covered and whether a referral was made. The risk flags are not here:
-- they reach the indicators' aggregates (with suppression) and an extract
-- only under its spec's rules, never a row-level table.
with

reviews as (
    select * from int_rehabilitation_reviews
),

final as (
    select
        record_key('review', review_record_id) as review_record_key,
        person_key,
        partner_id,
        record_key('survivor', survivor_record_id) as survivor_record_key,
        review_date,
        next_review_due,
        due_date,
        next_review_date,
        review_date <= due_date as done_by_due_date,
        reviewed_safety,
        reviewed_health,
        reviewed_mental_health,
        reviewed_livelihood,
        reviewed_education,
        reviewed_legal,
        reviewed_family,
        referral_made,
        versions_in_exports,
    from reviews
)

select * from final
