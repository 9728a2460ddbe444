-- Staging: what happened to each input file and the tables it fed.
with

source as (
    select * from raw_load_files
),

final as (
    select
        partner_id,
        source,
        source_file,
        error,
        table_name,
        rows_read,
        blank_rows,
        duplicates,
        no_record,
        quarantined,
        kept,
        warnings,
        clean_records,
        newest_date,
        exported_at,
    from source
)

select * from final
