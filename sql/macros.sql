-- Macros shared by the models. Run before the first model.

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

-- The periods a record dated d counts in: its financial year and 'All time'.
-- A record with no date counts in 'All time' only.
create or replace macro periods_of(d) as
    list_filter([financial_year(d), 'All time'], lambda x: x is not null);
