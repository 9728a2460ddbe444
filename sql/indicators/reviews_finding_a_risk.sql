-- Reviews that found a risk (threat from the accused, re-trafficking,
-- forced marriage, domestic violence), of the reviews done, by the
-- financial year of the review. An aggregate only: the flags reach no
-- row-level table and are suppressed below k like every figure.
with

reviews as (
    select * from int_reviews_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', review_date)::date as month,
        count(*) filter (where any_risk_found) as hits,
        count(*) as records,
    from reviews
    where review_date is not null and any_risk_found is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
