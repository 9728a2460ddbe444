-- Share of awards made within two months of the application, by the financial year of the award.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

-- Counted per scope and month, then each month spread into its periods
-- (see periods_of): the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', award_date)::date as month,
        count(*) filter (where award_date <= application_date + interval 2 month) as hits,
        count(*) as records,
    from claims
    where application_date is not null and award_date >= application_date
    group by all
),

counted as (
    select
        *,
        unnest(periods_of(month)) as period,
    from monthly
),

final as (
    select
        period,
        dimension,
        dimension_value,
        sum(hits)::bigint as numerator,
        sum(records)::bigint as denominator,
        100.0 * numerator / denominator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
