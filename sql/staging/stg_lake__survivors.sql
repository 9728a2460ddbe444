-- Staging: the lake's survivors as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_survivors
),

final as (
    select
        partner_id,
        survivor_ref,
        full_name_token,
        guardian_name_token,
        phone_token,
        village_token,
        sex,
        date_of_birth,
        age_years,
        minor_at_rescue,
        home_district,
        home_block,
        trafficking_form,
        destination_state,
        rescue_date,
        registered_date,
        legal_representation,
        collective_member as is_collective_member,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
