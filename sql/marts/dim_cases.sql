-- One row per case: the golden record built from all the case records
-- linkage joined (case_key), by the survivorship rules of dim_people,
-- applied field by field:
--   1. most complete: only records that hold the field are considered;
--   2. most recent: the record that knows the latest event of the case
--      (judgment, disposal, transfer, FIR);
--   3. remaining ties go to the partner last in partner_id order, then to
--      its record in its last export file (source_file_order), then its
--      last row there: arbitrary, but the same on every run, whatever order
--      the rows arrive in.
-- Transfers count when any record holds one, from its earliest date.
-- Each case record names its case by case_key (the record-level fact).
with

cases as (
    select * from int_cases
),

ranked as (
    select
        *,
        -- Recency, as the record's rank among all records (a bigint for
        -- arg_max; the people golden record says why).
        row_number() over (order by
            coalesce(
                greatest(judgment_date, chargesheet_date, final_report_date, ahtu_transfer_date, cid_transfer_date, fir_date),
                date '1900-01-01'
            ),
            partner_id,
            -- Last, the record's place in its partner's exports (file
            -- order, row): a total order, so the golden record does not
            -- depend on the order rows arrive in.
            source_file_order,
            source_row
        ) as recency,
    from cases
),

golden as (
    select
        case_key,
        count(*) as records,
        count(distinct partner_id) as partners,
        list(distinct partner_id order by partner_id) as partner_ids,
        min(fir_date) as fir_date,
        arg_max(police_station, recency) filter (where police_station is not null) as police_station,
        arg_max(police_district, recency) filter (where police_district is not null) as police_district,
        arg_max(district, recency) filter (where district is not null) as district,
        arg_max(state, recency) filter (where state is not null) as state,
        bool_or(is_trafficking_case) as is_trafficking_case,
        arg_max(investigating_agency, recency) filter (where investigating_agency is not null) as investigating_agency,
        arg_max(ahtu_unit, recency) filter (where ahtu_unit is not null) as ahtu_unit,
        bool_or(is_transferred_to_ahtu) as is_transferred_to_ahtu,
        min(ahtu_transfer_date) as ahtu_transfer_date,
        bool_or(is_transferred_to_cid) as is_transferred_to_cid,
        min(cid_transfer_date) as cid_transfer_date,
        arg_max(chargesheet_date, recency) filter (where chargesheet_date is not null) as chargesheet_date,
        arg_max(final_report_date, recency) filter (where final_report_date is not null) as final_report_date,
        arg_max(outcome, recency) filter (where outcome is not null) as outcome,
        arg_max(judgment_date, recency) filter (where judgment_date is not null) as judgment_date,
    from ranked
    group by case_key
),

final as (
    select
        *,
        case
            when chargesheet_date is not null then 'chargesheet'
            when final_report_date is not null then 'final_report'
        end as police_disposal,
        coalesce(chargesheet_date, final_report_date) as police_disposal_date,
        coalesce(outcome in ('convicted', 'acquitted', 'discharged'), false) as is_trial_completed,
    from golden
)

select * from final
