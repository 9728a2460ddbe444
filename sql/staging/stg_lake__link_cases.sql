-- Staging: the linkage bridge for cases, one row per case record with the
-- case it was linked to (rules in src/link/entities.rs).
with

source as (
    select * from staging.raw_link_cases
),

final as (
    select
        partner_id,
        case_ref,
        source_file,
        source_row,
        case_key,
        records_in_case,
        linked_by,
    from source
)

select * from final
