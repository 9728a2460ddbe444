-- Compensation claims as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   claim records (its newest version);
--   dimension 'consortium', dimension_value 'all': the linked claims of
--   dim_claims, so a claim several partners recorded counts once, and its
--   amounts are summed once.
with

partner_claims as (
    select 'partner' as dimension, partner_id as dimension_value, * exclude (partner_id),
    from fct_compensation_claims
),

consortium_claims as (
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from dim_claims
),

final as (
    select
        dimension,
        dimension_value,
        claim_key,
        case_key,
        scheme,
        forum,
        application_date,
        filed_with_legal_aid,
        interim_amount_inr,
        interim_date,
        awarded_amount_inr,
        award_date,
        status,
        disbursed_amount_inr,
        disbursed_date,
        days_application_to_award,
        days_award_to_payment,
    from partner_claims
    -- The golden record's columns, matched by name.
    union all by name
    select * exclude (records, partners, partner_ids),
    from consortium_claims
)

select * from final
