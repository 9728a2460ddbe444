-- One row per linked compensation claim and the linked case it arises
-- from: "claims per case" and "cases with an award" are one join
-- (the claim and case dimensions, on claim_key and case_key). The case is the one
-- claim linkage found for the claim record (src/link/entities.rs); a
-- claim no record ties to a case gives no row.
with

claims as (
    select claim_key, case_key, partner_id, from int_compensation_claims
    where case_key is not null
),

final as (
    select
        claim_key,
        case_key,
        count(*) as claim_records,
        count(distinct partner_id) as partners,
    from claims
    group by claim_key, case_key
)

select * from final
order by claim_key, case_key
