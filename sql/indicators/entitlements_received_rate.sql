-- Entitlements received out of those decided, by the financial year of the
-- decision (a receipt is a decision: its date when no decision date is
-- written). Per partner, for the consortium's applications, and by each breakdown.
with

entitlements as (
    select * from fct_entitlements_by_scope
),

monthly as (
    select
        dimension,
        dimension_value,
        date_trunc('month', decision_date)::date as month,
        count(*) filter (where is_received) as hits,
        count(*) as records,
    from entitlements
    where is_received or is_rejected
    group by all
),

final as (
    select * from share_by_period(monthly)
)

select * from final
