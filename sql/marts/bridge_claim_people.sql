-- One row per linked compensation claim and the linked person who claims:
-- "claims per survivor" and "what each survivor was awarded" are one join
-- (the claim and people dimensions, on claim_key and person_key).
-- The person is the one claim linkage found for a claim record
-- (src/link/entities.rs; linked_by 'claim'). A claim none of whose records
-- names a survivor the partner keeps (a lawyers' register keeps no
-- survivor export) takes the survivor of its linked case, when that case
-- has exactly one (linked_by 'case').
with

claims as (
    select claim_key, case_key, person_key, partner_id, from int_compensation_claims
),

by_claim as (
    select
        claim_key,
        person_key,
        count(*) as claim_records,
        count(distinct partner_id) as partners,
    from claims
    where person_key is not null
    group by claim_key, person_key
),

case_survivor as (
    select case_key, any_value(person_key) as person_key,
    from bridge_case_people
    group by case_key
    having count(*) = 1
),

by_case as (
    select
        claims.claim_key,
        case_survivor.person_key,
        count(*) as claim_records,
        count(distinct claims.partner_id) as partners,
    from claims
    join case_survivor using (case_key)
    where claims.claim_key not in (select claim_key from by_claim)
    group by claims.claim_key, case_survivor.person_key
),

final as (
    select claim_key, person_key, 'claimant' as role, 'claim' as linked_by, claim_records, partners,
    from by_claim
    union all
    select claim_key, person_key, 'claimant' as role, 'case' as linked_by, claim_records, partners,
    from by_case
)

select * from final
order by claim_key, person_key
