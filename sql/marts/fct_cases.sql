-- One row per criminal case record of a partner (its newest version), with
-- the police disposal and trial status the NCRB formulas need, as the
-- research tier may hold it: int_cases with an allow-list of columns. The
-- partner's references become record keys (case_record_key, and
-- survivor_record_key naming the survivor's record); the
-- FIR number and the record's file and row stay in the restricted area.
with

cases as (
    select * from int_cases
),

final as (
    select
        record_key('case', case_record_id) as case_record_key,
        case_key,
        records_in_case,
        partner_id,
        record_key('survivor', survivor_record_id) as survivor_record_key,
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
        is_transferred_to_ahtu,
        is_transferred_to_cid,
        chargesheet_date,
        final_report_date,
        police_disposal,
        police_disposal_date,
        outcome,
        judgment_date,
        is_trial_completed,
        accused_count,
        accused_arrested,
        versions_in_exports,
    from cases
)

select * from final
