-- MIS accuracy per partner: the share of records in its current exports
-- with no data-quality finding (no error, no warning), all tables together.
-- The consortium row pools every partner's records: accuracy is a property
-- of records, so here the records are not linked.
with

tables as (
    select * from fct_dq_table_scores
),

scoped as (
    select 'partner' as dimension, partner_id as dimension_value, clean_records, records, from tables
    union all
    select 'consortium' as dimension, 'all' as dimension_value, clean_records, records, from tables
),

final as (
    select
        'All time' as period,
        dimension,
        dimension_value,
        sum(clean_records)::bigint as numerator,
        sum(records)::bigint as denominator,
        100.0 * numerator / nullif(denominator, 0) as value,
        sum(records)::bigint as cell_size,
    from scoped
    group by dimension, dimension_value
)

select * from final
