-- Meetings of survivors or their collectives with duty bearers (a gram
-- panchayat, a block office, the police or an AHTU, the DLSA, the district
-- administration, a village child-protection committee), by the financial
-- year of the meeting. Per partner, for the consortium, and by level and place.
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
    where is_with_duty_bearer
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
