-- The gazetteer's to-do list: each unknown place spelling, per partner and
-- field, over the partner's current exports. A spelling that is a real
-- variant goes into schemas/reference/places.toml; a typo goes back to the
-- partner's data officer.
with

places as (
    select * from stg_lake__dq_unknown_places
),

final as (
    select
        partner_id,
        table_name,
        field,
        written,
        sum(records) as records,
        count(distinct source_file) as files,
    from places
    group by partner_id, table_name, field, written
)

select * from final
