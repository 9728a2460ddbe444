-- One row per engagement record of a partner (its newest version), as the
-- research tier may hold it: int_engagements with an allow-list of
-- columns. The leader's reference becomes her survivor record's key and
-- her linked person; the record's file and row, the collective's name as
-- written and the notes stay in the restricted area.
with

engagements as (
    select * from int_engagements
),

final as (
    select
        record_key('engagement', engagement_record_id) as engagement_record_key,
        partner_id,
        engagement_date,
        kind,
        is_with_duty_bearer,
        is_forum,
        level,
        district,
        block,
        survivors_taking_part,
        survivor_led,
        record_key('survivor', leader_record_id) as leader_record_key,
        leader_person_key,
        issue_raised,
        outcome,
        versions_in_exports,
    from engagements
)

select * from final
