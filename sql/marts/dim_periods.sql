-- The reporting periods, with their first and last day: every Indian
-- financial year (April to March) and its quarters from the earliest case
-- date to the run's as-of date, and 'All time'. Stock indicators (court
-- pendency) are measured at a period's last day; the current period ends
-- at the as-of date, not in the future.
-- as_of is set by the warehouse build (the run's date); a bare DuckDB
-- session without it falls back to the latest date in the cases (today's
-- date would need the icu extension, which is not bundled).
with

bounds as (
    select
        least(min(fir_date), min(chargesheet_date), min(judgment_date)) as first_date,
        coalesce(getvariable('as_of')::date, greatest(max(fir_date), max(chargesheet_date), max(judgment_date))) as as_of,
    from dim_cases
),

months as (
    select unnest(generate_series(date_trunc('month', first_date), as_of, interval 1 month))::date as m, as_of,
    from bounds
    where first_date <= as_of
),

years as (
    select distinct
        financial_year(m) as period,
        'year' as period_type,
        make_date(year(m) - (month(m) < 4)::int, 4, 1) as period_start,
        least(make_date(year(m) - (month(m) < 4)::int + 1, 3, 31), as_of) as period_end,
    from months
),

quarters as (
    select distinct
        fy_quarter(m) as period,
        'quarter' as period_type,
        date_trunc('quarter', m)::date as period_start,
        least((date_trunc('quarter', m) + interval 3 month - interval 1 day)::date, as_of) as period_end,
    from months
),

final as (
    select * from years
    union all
    select * from quarters
    union all
    select 'All time', 'all', date '0001-01-01', as_of, from bounds
)

select * from final
