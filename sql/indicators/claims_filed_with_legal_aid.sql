-- Claims filed with legal-aid help, by the financial year of the application.
-- Per partner, for the consortium's linked claims, and by each breakdown.
with

claims as (
    select * from fct_claims_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(application_date)) as period,
    from claims
    where filed_with_legal_aid
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
