//! The programme's periods, as the SQL names them (`sql/macros.sql`:
//! `financial_year`, `fy_quarter`, `periods_of`): an Indian financial year,
//! April to March, `FY 2023-24`; its quarters, `FY 2023-24 Q1` (April to
//! June) to `Q4` (January to March); and `All time`. The SQL defines them;
//! this is the one place Rust reads their names (suppression's sums, the
//! reports' labels, a run's "new quarter" test, the SQL logic tests).

use chrono::{Datelike, NaiveDate};

/// The period over every date.
pub const ALL_TIME: &str = "All time";

/// What kind of period a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AllTime,
    Year,
    Quarter,
}

/// The kind of period `name` is, if it is one.
pub fn kind(name: &str) -> Option<Kind> {
    if name == ALL_TIME {
        Some(Kind::AllTime)
    } else if year_of_quarter(name).is_some() {
        Some(Kind::Quarter)
    } else if name.starts_with("FY ") {
        Some(Kind::Year)
    } else {
        None
    }
}

/// The financial year a quarter belongs to (`FY 2023-24 Q1` -> `FY 2023-24`).
pub fn year_of_quarter(name: &str) -> Option<&str> {
    name.strip_suffix(|c: char| c.is_ascii_digit())?.strip_suffix(" Q")
}

/// The period whose figures a period's add up to: a quarter's year, a
/// year's All time; None for All time.
pub fn whole(name: &str) -> Option<&str> {
    match kind(name)? {
        Kind::Quarter => year_of_quarter(name),
        Kind::Year => Some(ALL_TIME),
        Kind::AllTime => None,
    }
}

/// A year's name without its `FY ` (`2023-24`), for a chart's axis.
pub fn short(name: &str) -> &str {
    name.trim_start_matches("FY ")
}

/// The financial quarter a date falls in: (the year the financial year
/// starts in, quarter 1 to 4). Quarters are calendar quarters, so two
/// dates share one exactly when they share a calendar quarter.
pub fn quarter_of(d: NaiveDate) -> (i32, u32) {
    let fy = if d.month() < 4 { d.year() - 1 } else { d.year() };
    (fy, (d.month() + 8) % 12 / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_the_sql_writes_them() {
        assert_eq!(kind("FY 2023-24 Q4"), Some(Kind::Quarter));
        assert_eq!(kind("FY 2023-24"), Some(Kind::Year));
        assert_eq!(kind(ALL_TIME), Some(Kind::AllTime));
        assert_eq!(kind("2023"), None);
        assert_eq!(year_of_quarter("FY 2023-24 Q4"), Some("FY 2023-24"));
        assert_eq!(year_of_quarter("FY 2023-24"), None);
        assert_eq!(whole("FY 2023-24 Q1"), Some("FY 2023-24"));
        assert_eq!(whole("FY 2023-24"), Some(ALL_TIME));
        assert_eq!(whole(ALL_TIME), None);
        assert_eq!(short("FY 2023-24"), "2023-24");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(quarter_of(d("2024-04-01")), (2024, 1));
        assert_eq!(quarter_of(d("2024-03-31")), (2023, 4));
        assert_eq!(quarter_of(d("2024-12-31")), (2024, 3));
        assert_eq!(quarter_of(d("2025-01-01")), (2024, 4));
    }

    /// The SQL macros and this module name the same periods.
    #[test]
    fn the_sql_macros_agree() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(&crate::warehouse::Project::load().unwrap().macros)
            .unwrap();
        for day in ["2024-03-31", "2024-04-01", "2024-09-15", "2025-01-01"] {
            let (fy, q): (String, String) = conn
                .query_row(
                    &format!("select financial_year(date '{day}'), fy_quarter(date '{day}')"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(kind(&fy), Some(Kind::Year), "{fy}");
            assert_eq!(year_of_quarter(&q), Some(fy.as_str()), "{q}");
            let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
            let (start, n) = quarter_of(d);
            assert_eq!(q, format!("FY {start}-{:02} Q{n}", (start + 1) % 100));
        }
    }
}
