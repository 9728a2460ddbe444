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

-- Whether a case was sent for trial by a period's end, or decided after
-- it or before its start, depends on the date's month alone when the
-- period starts on a month's first day and ends on a month's last. A
-- period bounded inside a month (one ending at the as-of date) needs the
-- day in that month only.
months_cut as (
    select date_trunc('month', period_end)::date as month from periods where period_end <> last_day(period_end)
    union
    select date_trunc('month', period_start)::date from periods where day(period_start) <> 1
),

dated as (
    select
        dimension,
        dimension_value,
        coalesce(chargesheet_date, judgment_date) as sent_for_trial,
        judgment_date,
    from cases
    where coalesce(chargesheet_date, judgment_date) is not null
),

-- Cases with the same dates count alike, so they are counted once per
-- (scope, dates), each date as its month's first day outside the months
-- cut, before the join to every period they are open in: at a million
-- survivors 185 thousand rows to join, where each day apart made 2 million.
for_trial as (
    select
        dimension,
        dimension_value,
        case
            when date_trunc('month', sent_for_trial)::date in (select month from months_cut) then sent_for_trial
            else date_trunc('month', sent_for_trial)::date
        end as sent_for_trial,
        case
            when date_trunc('month', judgment_date)::date in (select month from months_cut) then judgment_date
            else date_trunc('month', judgment_date)::date
        end as judgment_date,
        count(*) as cases,
    from dated
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
