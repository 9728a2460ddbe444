-- Share of survivors with free legal representation, by the financial year of the rescue.
-- Per partner, for the consortium's linked people, and by each breakdown.
with

people as (
    select * from fct_people_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(rescue_date)) as period,
    from people
    where legal_representation is not null and legal_representation <> 'unknown'
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*) filter (where has_free_legal_representation)::bigint as numerator,
        count(*)::bigint as denominator,
        100.0 * numerator / denominator as value,
        count(*)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
