-- One row per survivor record of a partner (its newest version), as the
-- research tier may hold it: int_survivors with an allow-list of columns.
-- The partner's reference becomes survivor_record_key (a keyed record key,
-- equal in the research lake and in the case and claim facts, and
-- unreadable without the job's key); the date of birth becomes its
-- year. Tokens, the reference, the date of birth and the record's file and
-- row stay in the restricted area (codebook.md says where).
with

survivors as (
    select * from int_survivors
),

final as (
    select
        record_key('survivor', survivor_record_id) as survivor_record_key,
        partner_id,
        sex,
        year(date_of_birth) as birth_year,
        age_years,
        minor_at_rescue,
        age_at_rescue_years,
        is_child_at_rescue,
        home_district,
        home_block,
        trafficking_form,
        destination_state,
        is_inter_state,
        rescue_date,
        registered_date,
        legal_representation,
        has_free_legal_representation,
        is_collective_member,
        versions_in_exports,
        person_key,
    from survivors
)

select * from final
