-- Staging: the per-field data-quality counts of every file and table, as cleaning measured them.
with

source as (
    select * from raw_dq_fields
),

final as (
    select
        partner_id,
        source_file,
        table_name,
        field,
        records,
        filled,
        invalid,
        inconsistent,
        duplicate,
    from source
)

select * from final
