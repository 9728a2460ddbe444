-- Median days from application to award, by the financial year of the award.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(award_date)) as period,
    from claims
    where days_application_to_award >= 0
),

final as (
    select
        period,
        dimension,
        dimension_value,
        null::bigint as numerator,
        null::bigint as denominator,
        median(days_application_to_award) as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
