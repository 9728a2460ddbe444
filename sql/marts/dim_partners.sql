-- One row per partner organisation, with how many records of each kind it
-- holds in this snapshot.
with

partners as (
    select * from stg_config__partners
),

survivors as (
    select partner_id, count(*) as survivor_records from int_survivors group by partner_id
),

cases as (
    select partner_id, count(*) as case_records from int_cases group by partner_id
),

claims as (
    select partner_id, count(*) as claim_records from int_compensation_claims group by partner_id
),

final as (
    select
        partners.partner_id,
        partners.partner_name,
        coalesce(survivors.survivor_records, 0) as survivor_records,
        coalesce(cases.case_records, 0) as case_records,
        coalesce(claims.claim_records, 0) as claim_records,
    from partners
    left join survivors using (partner_id)
    left join cases using (partner_id)
    left join claims using (partner_id)
)

select * from final
