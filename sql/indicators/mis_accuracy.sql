-- MIS accuracy per partner: the share of records in its current exports
-- with no data-quality finding (no error, no warning), all tables together.
with

tables as (
    select * from fct_dq_table_scores
),

final as (
    select
        'All time' as period,
        partner_id,
        sum(clean_records)::double as numerator,
        sum(records)::double as denominator,
        100.0 * numerator / nullif(denominator, 0) as value,
    from tables
    group by partner_id
)

select * from final
