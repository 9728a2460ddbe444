-- One row per linked case and linked person in it, so that "survivors per
-- case" and "cases per survivor" are one join (the case and people
-- dimensions, on case_key and person_key) instead of two record-level ones.
-- A case record names its survivor by the partner's survivor_ref; the
-- person is the one linkage joined that survivor record to. A case record
-- naming no survivor, or one its partner's survivor export does not hold,
-- gives no row.
with

cases as (
    select case_key, partner_id, survivor_record_id, from int_cases
    where survivor_record_id is not null
),

survivors as (
    select survivor_record_id, person_key, from int_survivors
),

final as (
    select
        cases.case_key,
        survivors.person_key,
        'survivor' as role,
        count(*) as case_records,
        count(distinct cases.partner_id) as partners,
    from cases
    join survivors using (survivor_record_id)
    group by cases.case_key, survivors.person_key
)

select * from final
order by case_key, person_key
