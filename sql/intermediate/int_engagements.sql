-- One row per engagement record of a partner (its newest version): an
-- activity in which survivors or their collectives engage duty bearers or
-- communities, with the person the survivor who led it was linked to
-- (her leader_ref names her survivor record at the same partner).
with

blocks as (
    select * from stg_reference__blocks
),

engagements as (
    select * from stg_lake__engagements
),

people as (
    select * from int_people_by_reference
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(engagements, engagement_ref)
),

final as (
    select
        v.partner_id || ':' || v.engagement_ref as engagement_record_id,
        v.partner_id,
        v.engagement_ref,
        case when v.leader_ref is not null then v.partner_id || ':' || v.leader_ref end as leader_record_id,
        p.person_key as leader_person_key,
        v.engagement_date,
        v.kind,
        -- Meetings with those who owe survivors their rights and safety:
        -- a panchayat, a block office, the police or an AHTU, the DLSA,
        -- the district administration, a village child-protection committee.
        v.kind in (
            'panchayat_meeting', 'block_office_meeting', 'police_meeting', 'ahtu_meeting', 'dlsa_meeting',
            'district_administration_meeting', 'vcpc_meeting'
        ) as is_with_duty_bearer,
        v.kind in ('state_forum', 'national_forum') as is_forum,
        v.level,
        -- The district the block lies in when the register names only the block.
        coalesce(v.district, b.district) as district,
        v.block,
        v.survivors_taking_part,
        -- A named leader is a survivor who led.
        coalesce(v.survivor_led, case when v.leader_ref is not null then true end) as survivor_led,
        v.issue_raised,
        v.outcome,
        v.versions_in_exports,
        v.source_file,
        v.source_file_order,
        v.source_row,
        v.record_hash,
    from versioned v
    left join blocks b on b.block = v.block
    left join people p on p.partner_id = v.partner_id and p.survivor_ref = v.leader_ref
)

select * from final
