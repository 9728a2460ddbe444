-- Awarded minus disbursed, per award, by the financial year of the award.
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
        sum(greatest(awarded_amount_inr - coalesce(disbursed_amount_inr, 0), 0)) as amount,
        count(*) as records,
    from claims
    where awarded_amount_inr > 0
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
        sum(amount)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
