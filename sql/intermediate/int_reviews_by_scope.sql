-- Rehabilitation reviews as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: the partner's
--   reviews, each survivor's plan the partner's own reviews of her;
--   dimension 'consortium', dimension_value 'all': every partner's
--   reviews, a survivor's plan all reviews of her linked person, so two
--   partners reviewing one survivor keep one plan.
-- Within a plan, in order of review: due_date is the date the review
-- before set for this one, next_review_date the next review's date.
-- Whether a review found a risk is carried for the aggregate that counts it: built for
-- the run and not kept, as int_rehabilitation_reviews is.
with

reviews as (
    select * from int_rehabilitation_reviews
),

-- A partner's plans are int_rehabilitation_reviews' own, their due dates
-- and next reviews already found there.
partner_plans as (
    select
        'partner' as dimension,
        partner_id as dimension_value,
        plan_id,
        review_record_id,
        review_date,
        next_review_due,
        due_date,
        next_review_date,
        any_risk_found,
    from reviews
),

-- The consortium's plan is the person's: her reviews at every partner, in
-- order.
consortium_plans as (
    select
        'consortium' as dimension,
        'all' as dimension_value,
        coalesce(person_key, plan_id) as plan_id,
        review_record_id,
        review_date,
        next_review_due,
        lag(next_review_due) over plan as due_date,
        lead(review_date) over plan as next_review_date,
        any_risk_found,
    from reviews
    window plan as (partition by coalesce(person_key, plan_id) order by review_date, review_record_id)
),

final as (
    select * from partner_plans
    union all by name
    select * from consortium_plans
)

select * from final
