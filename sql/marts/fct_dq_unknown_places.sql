-- The gazetteer's to-do list, published by shape: how many records per
-- partner and field hold a place the gazetteer lacks, and what kind of
-- text it is (`Aaaaaaaaa` a word, `9999999999` a phone typed in the wrong
-- cell). The spellings themselves are in the partner's restricted
-- `unknown_places.csv`: a real variant goes into
-- schemas/reference/places.toml, a typo back to the data officer.
with

places as (
    select * from stg_lake__dq_unknown_places
),

final as (
    select
        partner_id,
        table_name,
        field,
        shape,
        sum(records) as records,
        count(distinct source_file) as files,
    from places
    group by partner_id, table_name, field, shape
)

select * from final
