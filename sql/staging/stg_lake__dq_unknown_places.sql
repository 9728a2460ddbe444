-- Staging: place names (districts, police districts, AHTU units, states)
-- that cleaning could not find in the gazetteer, by their shape (`Aaaaa`,
-- `9999999999`): the spellings stay in the restricted area.
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
        shape,
        records,
    from source
)

select * from final
