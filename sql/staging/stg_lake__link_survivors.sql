-- Staging: the linkage bridge, one row per survivor record with the person
-- it was linked to (keys and weights only; the comparisons ran on plaintext
-- in the restricted stage).
with

source as (
    select * from staging.raw_link_survivors
),

final as (
    select
        partner_id,
        survivor_ref,
        partner_id || ':' || survivor_ref as survivor_record_id,
        source_file,
        source_row,
        person_key,
        records_in_person,
        best_match_weight,
    from source
)

select * from final
