-- Macros shared by the models. Run before the first model. The comment
-- right above each macro is its documentation: the warehouse carries it
-- (COMMENT ON MACRO) and the codebook lists it.

-- The Indian financial year (April to March) a date falls in, as 'FY 2023-24'.
create or replace macro financial_year(d) as
    case
        when d is null then null
        else printf(
            'FY %d-%02d',
            year(d) - (case when month(d) < 4 then 1 else 0 end),
            (year(d) - (case when month(d) < 4 then 1 else 0 end) + 1) % 100
        )
    end;

-- The financial-year quarter a date falls in, as 'FY 2023-24 Q1' (Q1 = April to June).
create or replace macro fy_quarter(d) as
    case when d is null then null else financial_year(d) || ' Q' || ((month(d) + 8) % 12 // 3 + 1) end;

-- The periods a record dated d counts in, computed from d: what periods_of
-- gives, at the cost of formatting three strings for every record.
create or replace macro periods_of_date(d) as
    list_filter([financial_year(d), fy_quarter(d), 'All time'], lambda x: x is not null);

-- The periods a record dated d counts in: its financial year, its quarter
-- and 'All time'. A record with no date counts in 'All time' only. Looked
-- up by d's month in a calendar of 1900 to 2100 (DuckDB joins the
-- subquery once, not once per record: three times faster than formatting
-- the strings of every record); a date outside it, or none, is computed.
-- The records of one month share their periods, so a count may be taken
-- per month first and each month spread (the indicators do: at a million
-- survivors some six thousand rows to spread where there were seven
-- million).
create or replace macro periods_of(d) as
    coalesce(
        (
            select periods_of_date(m)
            from (select unnest(generate_series(date '1900-01-01', date '2100-12-01', interval 1 month))::date as m)
            where m = date_trunc('month', d::date)::date
        ),
        periods_of_date(d)
    );

-- A breakdown value: the one value its records agree on, 'mixed' when
-- they differ, 'unknown' when none is known. n is count(distinct v).
create or replace macro one_or_mixed(n, v) as
    case when n = 0 then 'unknown' when n = 1 then v::varchar else 'mixed' end;

-- The 95% Wilson score interval of the proportion n / d, in percent: unlike
-- p +/- 1.96 se it stays inside 0-100 and is honest for small d and for
-- 0 or d successes. Null when d is 0 or unknown. (z = 1.96, z^2 = 3.8416.)
create or replace macro wilson_low(n, d) as
    case when d > 0 then 100.0 * greatest(0.0,
        ((n / d + 3.8416 / (2 * d)) - 1.96 * sqrt((n / d) * (1 - n / d) / d + 3.8416 / (4 * d * d)))
        / (1 + 3.8416 / d)
    ) end;

-- The upper end of the 95% Wilson score interval of n / d, in percent (see
-- wilson_low). Null when d is 0 or unknown.
create or replace macro wilson_high(n, d) as
    case when d > 0 then 100.0 * least(1.0,
        ((n / d + 3.8416 / (2 * d)) + 1.96 * sqrt((n / d) * (1 - n / d) / d + 3.8416 / (4 * d * d)))
        / (1 + 3.8416 / d)
    ) end;

-- The rows of t (a table or CTE name holding a month column, one row per
-- scope and month), each repeated once per period its month counts in
-- (see periods_of), as period: the step the indicators below share.
create or replace macro spread_by_period(t) as table
    select *, unnest(periods_of(month)) as period from query_table(t);

-- An indicator that is a share, from its monthly counts: t holds
-- dimension, dimension_value, month, hits and records, one row per scope
-- and month; each month is spread into its periods (see
-- spread_by_period) and summed: numerator the hits, denominator the
-- records, value the share in percent, cell size the records.
create or replace macro share_by_period(t) as table
    select
        period,
        dimension,
        dimension_value,
        sum(hits)::bigint as numerator,
        sum(records)::bigint as denominator,
        100.0 * numerator / denominator as value,
        sum(records)::bigint as cell_size,
    from spread_by_period(t)
    group by period, dimension, dimension_value;

-- An indicator that is a count of records, from its monthly counts: t
-- holds dimension, dimension_value, month and records (see
-- share_by_period); numerator, value and cell size are the records, and
-- there is no denominator.
create or replace macro count_by_period(t) as table
    select
        period,
        dimension,
        dimension_value,
        sum(records)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        sum(records)::bigint as cell_size,
    from spread_by_period(t)
    group by period, dimension, dimension_value;

-- An indicator that is a total amount, from its monthly sums: t holds
-- dimension, dimension_value, month, amount and records (see
-- share_by_period); numerator and value are the amount, the cell size the
-- records, and there is no denominator.
create or replace macro total_by_period(t) as table
    select
        period,
        dimension,
        dimension_value,
        sum(amount)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        sum(records)::bigint as cell_size,
    from spread_by_period(t)
    group by period, dimension, dimension_value;

-- The newest version of each record of t (a staging model of one lake
-- table: partner_id, its reference column ref, source_file_order,
-- source_row): the row from its partner's newest export, then its last
-- row there, with versions_in_exports, how many versions the exports hold.
-- A narrow aggregate joined back by the row's place, which is unique
-- within a partner: a window ranking the versions carried every column
-- through its sort (at 1,000,000 survivors 6.2 s against 5.7 s).
create or replace macro newest_versions(t, ref) as table
    with newest as (
        select
            partner_id,
            max({'file': source_file_order, 'row': source_row}) as newest,
            count(*) as versions_in_exports,
        from query_table(t)
        group by partner_id, ref
    )
    select r.*, n.versions_in_exports,
    from query_table(t) r
    join newest n
        on n.partner_id = r.partner_id
        and n.newest.file = r.source_file_order
        and n.newest.row = r.source_row;

-- Whether an entitlement application was pending more than 90 days on day
-- d: applied for at least 90 days before it, not withdrawn, and neither
-- decided nor received by then. One recorded as received or rejected with
-- no date was decided (when is unknown): never pending. The indicator of
-- pending applications and the block sheet both count by it.
create or replace macro pending_over_90_days_on(d, applied_date, decision_date, status, is_received, is_rejected) as
    applied_date <= d - interval 90 day
    and coalesce(status, '') <> 'withdrawn'
    and (decision_date is not null or not (is_received or is_rejected))
    and (decision_date is null or decision_date > d);
