-- Prevention activities in communities: awareness sessions, village
-- child-protection committee meetings and trainings, by the financial
-- year of the activity. Per partner, for the consortium, and by level and place.
with

engagements as (
    select * from fct_engagements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', engagement_date)::date as month,
        count(*) as records,
    from engagements
    where kind in ('awareness_session', 'vcpc_meeting', 'training')
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
