-- Rehabilitation reviews as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: the partner's
--   reviews, each survivor's plan the partner's own reviews of her;
--   dimension 'consortium', dimension_value 'all': every partner's
--   reviews, a survivor's plan all reviews of her linked person, so two
--   partners reviewing one survivor keep one plan.
-- Within a plan, in order of review: due_date is the date the review
-- before set for this one, next_review_date the next review's date.
-- The risk flags are carried for the aggregates that count them: built for
-- the run and not kept, as int_rehabilitation_reviews is.
with

reviews as (
    select * from int_rehabilitation_reviews
),

scoped as (
    select
        'partner' as dimension,
        partner_id as dimension_value,
        plan_id,
        * exclude (plan_id, due_date, next_review_date),
    from reviews
    union all by name
    select
        'consortium' as dimension,
        'all' as dimension_value,
        coalesce(person_key, plan_id) as plan_id,
        * exclude (plan_id, due_date, next_review_date),
    from reviews
),

final as (
    select
        dimension,
        dimension_value,
        plan_id,
        review_record_id,
        review_date,
        next_review_due,
        lag(next_review_due) over plan as due_date,
        lead(review_date) over plan as next_review_date,
        any_risk_found,
        risk_retrafficking,
        referral_made,
    from scoped
    window plan as (partition by dimension, dimension_value, plan_id order by review_date, review_record_id)
)

select * from final
