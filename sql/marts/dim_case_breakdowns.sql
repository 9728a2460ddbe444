-- The values a linked case is broken down by: its district, police
-- district and AHTU unit (from the golden record; 'none' when no AHTU
-- handled it, 'unknown' when one did but the records do not say which),
-- who investigated it ('ahtu' when any record shows an AHTU did, else
-- 'cid', 'other', or 'local_police': the AHTU engagement study's
-- comparison), and the sex, age group
-- and form of trafficking of its survivors. A case with several survivors
-- who differ is 'mixed'; with none linked, 'unknown'. So each case has
-- exactly one value per breakdown and the rows of a breakdown add up to
-- the consortium total.
-- A case is inter-state when it was registered outside West Bengal or any
-- of its survivors was taken to another state.
with

cases as (
    select * from dim_cases
),

case_people as (
    select case_key, person_key, from bridge_case_people
),

people as (
    select
        cp.case_key,
        one_or_mixed(count(distinct p.sex), any_value(p.sex)) as sex,
        one_or_mixed(count(distinct p.age_at_rescue) filter (where p.age_at_rescue <> 'unknown'),
                     any_value(p.age_at_rescue) filter (where p.age_at_rescue <> 'unknown')) as age_at_rescue,
        one_or_mixed(count(distinct p.trafficking_form) filter (where p.trafficking_form <> 'unknown'),
                     any_value(p.trafficking_form) filter (where p.trafficking_form <> 'unknown')) as trafficking_form,
        bool_or(p.is_inter_state) as is_inter_state,
    from case_people cp
    join dim_person_breakdowns p using (person_key)
    group by cp.case_key
),

final as (
    select
        c.case_key,
        coalesce(c.district, 'unknown') as district,
        coalesce(c.police_district, 'unknown') as police_district,
        case
            when c.ahtu_unit is not null then c.ahtu_unit
            when c.is_transferred_to_ahtu then 'unknown'
            else 'none'
        end as ahtu_unit,
        case
            when c.is_transferred_to_ahtu then 'ahtu'
            when c.is_transferred_to_cid then 'cid'
            when c.investigating_agency = 'other' then 'other'
            else 'local_police'
        end as investigated_by,
        coalesce(p.sex, 'unknown') as sex,
        coalesce(p.age_at_rescue, 'unknown') as age_at_rescue,
        coalesce(p.trafficking_form, 'unknown') as trafficking_form,
        coalesce(p.is_inter_state, false) or coalesce(c.state <> 'West Bengal', false) as is_inter_state,
    from cases c
    left join people p using (case_key)
)

select * from final
