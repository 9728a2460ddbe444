-- Survivors overdue for a rehabilitation review at the period's end: of
-- the survivors whose plan had a review by then, those whose latest review
-- set a next review date that had passed by then with no review since.
-- 'All time' is measured at the run's as-of date. Per partner, and for the
-- consortium (a survivor's plan all reviews of her linked person).
with

reviews as (
    select * from int_reviews_by_scope
),

periods as (
    select * from dim_periods
),

-- Each review stands for its plan from its date until the next review.
latest_at_end as (
    select
        r.dimension,
        r.dimension_value,
        r.plan_id,
        p.period,
        r.next_review_due < p.period_end as overdue,
    from reviews r
    join periods p
        on r.review_date <= p.period_end
        and (r.next_review_date is null or r.next_review_date > p.period_end)
    where r.review_date is not null
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(distinct plan_id) filter (where overdue)::bigint as numerator,
        count(distinct plan_id)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(distinct plan_id)::bigint as cell_size,
    from latest_at_end
    group by period, dimension, dimension_value
)

select * from final
