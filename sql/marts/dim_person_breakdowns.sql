-- The values a linked person is broken down by in the indicators: where
-- she comes from, sex, child or adult at rescue, form of trafficking.
-- Every person gets a value in every breakdown ('unknown' when no record
-- says), so a breakdown's rows add up to the consortium total and a
-- suppressed cell cannot be recovered by subtraction unless another is
-- suppressed with it (see src/suppress.rs).
with

people as (
    select * from dim_people
),

final as (
    select
        person_key,
        coalesce(home_district, 'unknown') as district,
        coalesce(sex, 'unknown') as sex,
        case is_child_at_rescue when true then 'child' when false then 'adult' else 'unknown' end as age_at_rescue,
        coalesce(trafficking_form, 'unknown') as trafficking_form,
        coalesce(is_inter_state, false) as is_inter_state,
    from people
)

select * from final
