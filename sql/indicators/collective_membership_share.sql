-- Share of survivors who are members of a survivors' collective, by the
-- financial year of the rescue. Per partner, for the consortium's linked
-- people (a member when any record says so), and by each breakdown.
with

people as (
    select * from fct_people_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', rescue_date)::date as month,
        count(*) filter (where is_collective_member) as hits,
        count(*) as records,
    from people
    where is_collective_member is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
