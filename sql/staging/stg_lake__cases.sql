-- Staging: the lake's cases as loaded, renamed and cast only.
with

source as (
    select * from staging.raw_cases
),

final as (
    select
        partner_id,
        case_ref,
        survivor_ref,
        fir_number,
        fir_date,
        police_station,
        police_district,
        district,
        state,
        sections,
        is_trafficking_case,
        investigating_agency,
        ahtu_unit,
        ahtu_transfer_date,
        cid_transfer_date,
        chargesheet_date,
        final_report_date,
        outcome,
        judgment_date,
        accused_count,
        accused_arrested,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from source
)

select * from final
