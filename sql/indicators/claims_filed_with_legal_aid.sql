-- Claims filed with legal-aid help, by the financial year of the application, per partner and for the consortium's linked claims.
with

claims as (
    select * from fct_claims_by_scope
),

filed as (
    select
        dimension,
        dimension_value,
        unnest(periods_of(application_date)) as period,
    from claims
    where filed_with_legal_aid
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*)::double as numerator,
        null::double as denominator,
        numerator as value,
    from filed
    group by period, dimension, dimension_value
)

select * from final
