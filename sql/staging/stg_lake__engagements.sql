-- Staging: the lake's engagements as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_engagements
),

final as (
    select
        partner_id,
        engagement_ref,
        engagement_date,
        kind,
        level,
        district,
        block,
        survivors_taking_part,
        survivor_led,
        leader_ref,
        issue_raised,
        outcome,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
