-- Rehabilitation reviews done by their due date: of the due dates the
-- reviews set for the next one (next_review_due) that fell in the period
-- and had passed by the run's date, the share met by a review done on or
-- before it. A due date never met counts against it. Per partner, and for
-- the consortium (a survivor's plan all reviews of her linked person).
with

reviews as (
    select * from int_reviews_by_scope
),

periods as (
    select * from dim_periods
),

as_of as (
    select period_end as as_of from periods where period = 'All time'
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', next_review_due)::date as month,
        count(*) filter (where next_review_date <= next_review_due) as hits,
        count(*) as records,
    from reviews
    where next_review_due <= (select as_of from as_of)
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
