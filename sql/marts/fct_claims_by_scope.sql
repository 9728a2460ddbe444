-- Compensation claims as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   claim records (its newest version);
--   dimension 'consortium', dimension_value 'all': the linked claims of
--   dim_claims, so a claim several partners recorded counts once, and its
--   amounts are summed once;
--   dimensions 'district', 'police_district', 'ahtu_unit' (from the claim's
--   case) and 'sex', 'age_at_rescue', 'trafficking_form' (from its
--   survivor, else from its case's survivors): the linked claims again,
--   one value each ('unknown' when neither says), so a breakdown's rows add
--   up to the consortium row.
-- person_key counts survivors compensated; a claim with no linked survivor
-- stands for one survivor of its own (its claim_key).
with

partner_claims as (
    select 'partner' as dimension, partner_id as dimension_value, * exclude (partner_id),
    from fct_compensation_claims
),

linked_claims as (
    select * exclude (records, partners, partner_ids),
    from dim_claims
),

claim_breakdowns as (
    select
        c.claim_key,
        coalesce(k.district, 'unknown') as by_district,
        coalesce(k.police_district, 'unknown') as by_police_district,
        coalesce(k.ahtu_unit, 'unknown') as by_ahtu_unit,
        coalesce(p.sex, k.sex, 'unknown') as by_sex,
        coalesce(p.age_at_rescue, k.age_at_rescue, 'unknown') as by_age_at_rescue,
        coalesce(p.trafficking_form, k.trafficking_form, 'unknown') as by_trafficking_form,
    from linked_claims c
    left join dim_case_breakdowns k using (case_key)
    left join dim_person_breakdowns p using (person_key)
),

breakdowns as (
    unpivot claim_breakdowns
    on columns('^by_')
    into name dimension value dimension_value
),

columns as (
    select
        dimension,
        dimension_value,
        claim_key,
        case_key,
        person_key,
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
),

final as (
    select * from columns
    -- The golden records' columns, matched by name.
    union all by name
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from linked_claims
    union all by name
    select substr(b.dimension, 4) as dimension, b.dimension_value, c.*,
    from breakdowns b
    join linked_claims c using (claim_key)
)

select * exclude (person_key), coalesce(person_key, claim_key) as survivor_key,
from final
