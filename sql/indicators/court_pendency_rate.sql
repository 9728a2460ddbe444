-- NCRB court pendency % = cases pending trial at the period's end
--   / cases for trial (pending from earlier + sent for trial in the period) x 100.
-- A case goes for trial on its chargesheet date; a case with a judgment but
-- no chargesheet date went for trial by its judgment date at the latest, so
-- it counts from then. A trial is disposed of on its judgment date (any
-- outcome). 'All time' is measured at the run's as-of date: of the cases
-- ever sent for trial, the share still pending.
-- Per partner, for the consortium's linked cases, and by each breakdown.
with

cases as (
    select * from fct_cases_by_scope
),

periods as (
    select * from dim_periods
),

-- Cases with the same dates count alike, so they are counted once per
-- (scope, dates) before the join to every period they are open in: at a
-- million survivors that join is a fifth of the rows.
for_trial as (
    select
        dimension,
        dimension_value,
        coalesce(chargesheet_date, judgment_date) as sent_for_trial,
        judgment_date,
        count(*) as cases,
    from cases
    where coalesce(chargesheet_date, judgment_date) is not null
    group by all
),

counted as (
    select
        t.dimension,
        t.dimension_value,
        p.period,
        t.judgment_date is null or t.judgment_date > p.period_end as pending_at_end,
        t.cases,
    from for_trial t
    join periods p
        on t.sent_for_trial <= p.period_end
        and (t.judgment_date is null or t.judgment_date >= p.period_start)
),

final as (
    select
        period,
        dimension,
        dimension_value,
        coalesce(sum(cases) filter (where pending_at_end), 0)::bigint as numerator,
        sum(cases)::bigint as denominator,
        100.0 * numerator / denominator as value,
        sum(cases)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
