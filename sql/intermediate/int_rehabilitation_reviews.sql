-- One row per rehabilitation review record of a partner (its newest
-- version), with the person her survivor record was linked to, and where
-- it stands in her plan: the review before it and the next one, so the
-- review's own due date (the one the review before set) and whether the
-- next review came by the due date this one set are known.
-- A plan is a partner's reviews of one survivor (survivor_record_id); a
-- review naming no survivor is a plan of its own.
with

reviews as (
    select * from stg_lake__rehabilitation_reviews
),

people as (
    select * from int_people_by_reference
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(reviews, review_ref)
),

records as (
    select
        v.partner_id || ':' || v.review_ref as review_record_id,
        v.partner_id,
        v.review_ref,
        case when v.survivor_ref is not null then v.partner_id || ':' || v.survivor_ref end as survivor_record_id,
        p.person_key,
        v.review_date,
        v.next_review_due,
        v.reviewed_safety,
        v.reviewed_health,
        v.reviewed_mental_health,
        v.reviewed_livelihood,
        v.reviewed_education,
        v.reviewed_legal,
        v.reviewed_family,
        v.risk_threat_from_accused,
        v.risk_retrafficking,
        v.risk_forced_marriage,
        v.risk_domestic_violence,
        v.risk_threat_from_accused or v.risk_retrafficking or v.risk_forced_marriage or v.risk_domestic_violence
            as any_risk_found,
        v.referral_made,
        v.versions_in_exports,
        v.source_file,
        v.source_file_order,
        v.source_row,
        v.record_hash,
    from versioned v
    left join people p on p.partner_id = v.partner_id and p.survivor_ref = v.survivor_ref
),

final as (
    select
        *,
        coalesce(survivor_record_id, review_record_id) as plan_id,
        lag(next_review_due) over plan as due_date,
        lead(review_date) over plan as next_review_date,
    from records
    window plan as (partition by coalesce(survivor_record_id, review_record_id) order by review_date, review_record_id)
)

select * from final
