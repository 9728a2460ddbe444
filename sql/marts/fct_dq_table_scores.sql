-- The MIS accuracy headline per partner and table: the share of records
-- with no finding at all (no error, no warning), and timeliness: how old
-- the newest record was when the partner wrote its export.
with

files as (
    select * from stg_lake__load_files
    where error is null and table_name <> ''
),

final as (
    select
        partner_id,
        table_name,
        count(distinct source_file) as files,
        sum(kept + quarantined) as records,
        sum(clean_records) as clean_records,
        round(100.0 * sum(clean_records) / nullif(sum(kept + quarantined), 0), 1) as accuracy_pct,
        max(newest_date) as newest_record_date,
        max(exported_at) as latest_export_at,
        date_diff('day', max(newest_date), max(exported_at)::date) as timeliness_days,
    from files
    group by partner_id, table_name
)

select * from final
