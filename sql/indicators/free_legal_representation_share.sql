-- Share of survivors with free legal representation, by the financial year of the rescue.
-- Per partner, for the consortium's linked people, and by each breakdown.
with

people as (
    select * from fct_people_by_scope
),

-- Counted per scope and month; share_by_period spreads each month into its
-- periods: the same figures from far fewer rows.
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

final as (
    select * from share_by_period(monthly)
)

select * from final
