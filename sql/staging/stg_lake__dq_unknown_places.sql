-- Staging: place names (districts, police districts, AHTU units, states)
-- that cleaning could not find in the gazetteer, as the partner wrote them.
with

source as (
    select * from raw_dq_unknown_places
),

final as (
    select
        partner_id,
        source_file,
        table_name,
        field,
        written,
        records,
    from source
)

select * from final
