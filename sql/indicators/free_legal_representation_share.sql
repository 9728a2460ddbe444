-- Share of survivors with free legal representation, by the financial year of the rescue.
-- Per partner, for the consortium's linked people, and by each breakdown.
with

people as (
    select * from fct_people_by_scope
),

-- Counted per scope and month, then each month spread into its periods
-- (see periods_of): the same figures from far fewer rows.
monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', rescue_date)::date as month,
        count(*) filter (where has_free_legal_representation) as hits,
        count(*) as records,
    from people
    where legal_representation is not null and legal_representation <> 'unknown'
    group by all
),

counted as (
    select
        *,
        unnest(periods_of(month)) as period,
    from monthly
),

final as (
    select
        period,
        dimension,
        dimension_value,
        sum(hits)::bigint as numerator,
        sum(records)::bigint as denominator,
        100.0 * numerator / denominator as value,
        sum(records)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
