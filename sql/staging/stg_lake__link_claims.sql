-- Staging: the linkage bridge for claims, one row per claim record with the
-- claim it was linked to (rules in src/link/entities.rs).
with

source as (
    select * from staging.raw_link_claims
),

final as (
    select
        partner_id,
        claim_ref,
        source_file,
        source_row,
        claim_key,
        case_key,
        person_key,
        records_in_claim,
        linked_by,
    from source
)

select * from final
