-- The MIS accuracy scorecard per partner, table and field: completeness,
-- validity, consistency and uniqueness, as shares of the records in the
-- partner's current exports (kept and quarantined records alike).
with

fields as (
    select * from stg_lake__dq_fields
),

summed as (
    select
        partner_id,
        table_name,
        field,
        sum(records) as records,
        sum(filled) as filled,
        sum(invalid) as invalid,
        sum(inconsistent) as inconsistent,
        sum(duplicate) as duplicate,
    from fields
    group by partner_id, table_name, field
),

final as (
    select
        partner_id,
        table_name,
        field,
        records,
        filled,
        invalid,
        inconsistent,
        duplicate,
        -- Completeness: records with the field filled.
        round(100.0 * filled / nullif(records, 0), 1) as completeness_pct,
        -- Validity: filled values that parse and pass their rules.
        round(100.0 * (filled - invalid) / nullif(filled, 0), 1) as validity_pct,
        -- Consistency: records whose cross-field rules on this field hold.
        round(100.0 * (records - inconsistent) / nullif(records, 0), 1) as consistency_pct,
        -- Uniqueness: records whose id is not repeated within its export.
        round(100.0 * (records - duplicate) / nullif(records, 0), 1) as uniqueness_pct,
    from summed
)

select * from final
