-- One row per criminal case record of a partner, with the police disposal
-- (chargesheet or final report) and trial status the NCRB formulas need.
-- Versions of the same case_ref: the newest export wins, as in int_survivors.
-- case_key is the case linkage found (src/link/entities.rs): the same FIR
-- in several partners' exports is one case.
with

cases as (
    select * from stg_lake__cases
),

links as (
    select partner_id, source_file, source_row, case_key, records_in_case, from stg_lake__link_cases
),

-- The newest version of each record (see the macro).
versioned as (
    select * from newest_versions(cases, case_ref)
),

final as (
    select
        partner_id || ':' || case_ref as case_record_id,
        case_key,
        records_in_case,
        partner_id,
        case_ref,
        case when survivor_ref is not null then partner_id || ':' || survivor_ref end as survivor_record_id,
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
        ahtu_transfer_date is not null or investigating_agency = 'ahtu' as is_transferred_to_ahtu,
        cid_transfer_date is not null or investigating_agency = 'cid' as is_transferred_to_cid,
        chargesheet_date,
        final_report_date,
        case
            when chargesheet_date is not null then 'chargesheet'
            when final_report_date is not null then 'final_report'
        end as police_disposal,
        coalesce(chargesheet_date, final_report_date) as police_disposal_date,
        outcome,
        judgment_date,
        coalesce(outcome in ('convicted', 'acquitted', 'discharged'), false) as is_trial_completed,
        accused_count,
        accused_arrested,
        versions_in_exports,
        source_file,
        source_file_order,
        source_row,
        record_hash,
    from versioned
    left join links using (partner_id, source_file, source_row)
)

select * from final
