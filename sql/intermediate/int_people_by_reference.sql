-- The person each of a partner's survivor references was linked to: what a
-- record naming a survivor by her reference (an entitlement, a review, the
-- leader of an engagement) joins to find her. Every version of one
-- reference is one person (linkage's first rule), so one row each.
with

links as (
    select * from stg_lake__link_survivors
),

final as (
    select
        partner_id,
        survivor_ref,
        any_value(person_key) as person_key,
    from links
    group by partner_id, survivor_ref
)

select * from final
