-- Compensation claims filed, by the financial year of the application.
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
        date_trunc('month', application_date)::date as month,
        count(*) as records,
    from claims
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
        sum(records)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
