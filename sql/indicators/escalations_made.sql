-- Applications escalated to a higher authority, by the financial year of
-- the escalation. Per partner, for the consortium's applications, and by
-- each breakdown.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', escalation_date)::date as month,
        count(*) as records,
    from entitlements
    where escalation_date is not null
    group by all
),

final as (
    select * from count_by_period(monthly)
)

select * from final
