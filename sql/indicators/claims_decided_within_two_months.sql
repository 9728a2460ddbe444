-- Share of awards made within two months of the application, by the financial year of the award.
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
    where application_date is not null and award_date >= application_date
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where award_date <= application_date + interval 2 month)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
