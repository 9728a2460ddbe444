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

-- The deterministic key of an FIR: police station (case, punctuation and a
-- trailing "PS" / "P.S." / "Police Station" dropped), FIR number (digits,
-- leading zeros dropped) and year (from "123/2021" or else the FIR date).
-- Null when any part is unknown: such a case is not linked by FIR.
create or replace macro fir_key(police_station, fir_number, fir_date) as
    case
        when police_station is null or fir_number is null then null
        when regexp_extract(fir_number, '(\d+)', 1) = '' then null
        else 'FIR-' || md5(
            regexp_replace(
                regexp_replace(lower(police_station), '\s*(p\.?\s*s\.?|police\s+station|thana)\s*$', ''),
                '[^a-z0-9]', '', 'g'
            )
            || '|' || ltrim(regexp_extract(fir_number, '(\d+)', 1), '0')
            || '|' || coalesce(
                nullif(regexp_extract(fir_number, '[/-]\s*((19|20)\d\d)\s*$', 1), ''),
                cast(year(fir_date) as varchar)
            )
        )[1:20]
    end;
