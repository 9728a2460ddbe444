-- Claims filed with legal-aid help, by the financial year of the application, per partner.
with

claims as (
    select * from fct_compensation_claims
),

filed as (
    select
        partner_id,
        unnest(periods_of(application_date)) as period,
    from claims
    where filed_with_legal_aid
),

final as (
    select
        period,
        partner_id,
        count(*)::double as numerator,
        null::double as denominator,
        numerator as value,
    from filed
    group by period, partner_id
)

select * from final
