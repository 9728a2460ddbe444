-- One row per person: the golden record built from all the survivor records
-- linkage joined, by these survivorship rules, applied field by field:
--   1. most complete: only records that hold the field are considered;
--   2. most recent: the record registered most recently (then rescued most
--      recently) wins;
--   3. remaining ties go to the partner last in partner_id order, then to
--      its record in its last export file (source_file_order), then its
--      last row there: arbitrary, but the same on every run, whatever order
--      the rows arrive in.
-- Each survivor record names its person by person_key (the record-level dimension).
with

survivors as (
    select * from int_survivors
),

places as (
    select * from stg_reference__places
),

ranked as (
    select
        *,
        -- Recency, as the record's rank among all records: later
        -- registration and rescue win, then partner_id, then the record's
        -- place in the partner's exports (file order, row). A total order, so the golden record does not
        -- depend on the order rows arrive in (DuckDB's arg_max keeps
        -- whichever tied row it met first, and at a million records the
        -- threads meet them in varying order). A bigint, not the tuple
        -- itself, which every aggregate's state copied, strings and all:
        -- at a million records the model took 15.6 s with the tuple and
        -- 4.8 s with its rank.
        row_number() over (
            order by
                coalesce(registered_date, date '1900-01-01'),
                coalesce(rescue_date, date '1900-01-01'),
                partner_id,
                source_file_order,
                source_row
        ) as recency,
    from survivors
),

people as (
    select
        person_key,
        count(*) as records,
        count(distinct partner_id) as partners,
        list(distinct partner_id order by partner_id) as partner_ids,
        arg_max(sex, recency) filter (where sex is not null) as sex,
        arg_max(age_at_rescue_years, recency) filter (where age_at_rescue_years is not null) as age_at_rescue_years,
        arg_max(is_child_at_rescue, recency) filter (where is_child_at_rescue is not null) as is_child_at_rescue,
        arg_max(home_district, recency) filter (where home_district is not null) as home_district,
        arg_max(trafficking_form, recency) filter (where trafficking_form is not null) as trafficking_form,
        arg_max(destination_state, recency) filter (where destination_state is not null) as destination_state,
        bool_or(is_inter_state) as is_inter_state,
        min(rescue_date) as first_rescue_date,
        arg_max(legal_representation, recency) filter (where legal_representation is not null) as legal_representation,
        bool_or(has_free_legal_representation) as has_free_legal_representation,
        bool_or(is_collective_member) as is_collective_member,
    from ranked
    group by person_key
),

final as (
    select
        people.*,
        places.region as home_region,
        places.region_kind as home_region_kind,
    from people
    left join places on places.district = people.home_district
)

select * from final
