-- Survivors as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   survivor records (its newest version);
--   dimension 'consortium', dimension_value 'all': the linked people of
--   dim_people, so a survivor several partners serve counts once;
--   dimensions 'district' (home district), 'sex', 'age_at_rescue',
--   'trafficking_form': the linked people again under their value in
--   dim_person_breakdowns, so a breakdown's rows add up to the consortium row.
with

partner_people as (
    select
        'partner' as dimension,
        partner_id as dimension_value,
        person_key,
        rescue_date,
        legal_representation,
        has_free_legal_representation,
        is_inter_state,
        is_collective_member,
    from dim_survivors
),

linked_people as (
    select
        person_key,
        first_rescue_date as rescue_date,
        legal_representation,
        has_free_legal_representation,
        is_inter_state,
        is_collective_member,
    from dim_people
),

breakdowns as (
    unpivot (
        select
            person_key,
            district as by_district,
            sex as by_sex,
            age_at_rescue as by_age_at_rescue,
            trafficking_form as by_trafficking_form,
        from dim_person_breakdowns
    )
    on columns('^by_')
    into name dimension value dimension_value
),

final as (
    select * from partner_people
    union all by name
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from linked_people
    union all by name
    select substr(b.dimension, 4) as dimension, b.dimension_value, p.*,
    from breakdowns b
    join linked_people p using (person_key)
)

select * from final
