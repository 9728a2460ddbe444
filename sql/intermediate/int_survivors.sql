-- One row per survivor record of a partner, with the person linkage joined
-- it to (person_key; the people mart holds each person's golden record).
-- When a partner's exports hold the same survivor_ref in several versions,
-- the version from the newest export (last file in inbox order, source_file_order,
-- then its last row) wins; `versions_in_exports` says how many there were.
with

survivors as (
    select * from stg_lake__survivors
),

links as (
    select partner_id, source_file, source_row, person_key from stg_lake__link_survivors
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(survivors, survivor_ref)
),

final as (
    select
        partner_id || ':' || survivor_ref as survivor_record_id,
        partner_id,
        survivor_ref,
        full_name_token,
        guardian_name_token,
        phone_token,
        village_token,
        sex,
        date_of_birth,
        -- As the partner recorded them, under the lake's names; the two
        -- derived below have names of their own.
        age_years,
        minor_at_rescue,
        coalesce(date_sub('year', date_of_birth, rescue_date), age_years) as age_at_rescue_years,
        case
            when coalesce(date_sub('year', date_of_birth, rescue_date), age_years) < 18 then true
            when coalesce(date_sub('year', date_of_birth, rescue_date), age_years) >= 18 then false
        end as is_child_at_rescue,
        home_district,
        home_block,
        trafficking_form,
        destination_state,
        destination_state is not null and destination_state <> 'West Bengal' as is_inter_state,
        rescue_date,
        registered_date,
        legal_representation,
        legal_representation in ('legal_aid', 'programme_lawyer', 'free_unspecified') as has_free_legal_representation,
        is_collective_member,
        versions_in_exports,
        source_file,
        source_file_order,
        source_row,
        record_hash,
        person_key,
    from versioned
    left join links using (partner_id, source_file, source_row)
)

select * from final
