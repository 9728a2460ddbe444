-- Escalations resolved within 30 days of being made, out of the
-- escalations made, by the financial year of the escalation. Per partner,
-- for the consortium's applications, and by each breakdown.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', escalation_date)::date as month,
        count(*) filter (where days_escalation_to_resolution between 0 and 30) as hits,
        count(*) as records,
    from entitlements
    where escalation_date is not null
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
