-- One row per criminal case record of a partner, with the police disposal
-- (chargesheet or final report) and trial status the NCRB formulas need.
-- Versions of the same case_ref: the newest export wins, as in dim_survivors.
with

cases as (
    select * from stg_lake__cases
),

versioned as (
    select
        *,
        count(*) over (partition by partner_id, case_ref) as versions_in_exports,
        row_number() over (
            partition by partner_id, case_ref
            order by source_file desc, source_row desc
        ) as version_rank,
    from cases
),

final as (
    select
        partner_id || ':' || case_ref as case_record_id,
        -- The same FIR in several partners' exports is one case (issue #4):
        -- linked by police station, FIR number and year; a case whose FIR
        -- is incomplete stands alone under its own record id.
        fir_key(police_station, fir_number, fir_date) as fir_case_key,
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
        source_row,
        record_hash,
    from versioned
    where version_rank = 1
),

-- A record whose police station is blank still joins a case when exactly
-- one FIR-keyed case has its FIR number and FIR date; otherwise it stands
-- alone under its own record id.
fir_numbers as (
    select
        fir_case_key,
        ltrim(regexp_extract(fir_number, '(\d+)', 1), '0') as fir_no,
        fir_date,
    from final
    where fir_case_key is not null and fir_date is not null
),

unique_matches as (
    select fir_no, fir_date, min(fir_case_key) as fir_case_key,
    from fir_numbers
    group by fir_no, fir_date
    having count(distinct fir_case_key) = 1
),

keyed as (
    select
        f.* exclude (fir_case_key),
        coalesce(
            f.fir_case_key,
            u.fir_case_key,
            'REC-' || md5(f.case_record_id)[1:16]
        ) as case_key,
    from final f
    left join unique_matches u
        on f.fir_case_key is null
        and u.fir_no = ltrim(regexp_extract(f.fir_number, '(\d+)', 1), '0')
        and u.fir_date = f.fir_date
)

select * from keyed
