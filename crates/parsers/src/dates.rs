//! Dates as partners write them: day-first numeric forms with `/`, `-` and
//! `.`, two-digit years, month names and ordinals, ISO (with or without a
//! time), Excel serial numbers in the 1900 and 1904 systems, and Bengali
//! digits. The partner's declared order decides ambiguous forms; impossible
//! dates (31/02/2021) are errors, never guesses.

use chrono::{Datelike, NaiveDate};

/// How a partner writes ambiguous numeric dates such as 03/04/2021.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Day first: the Indian default.
    #[default]
    Dmy,
    /// Month first: a spreadsheet with a US locale.
    Mdy,
    /// Year first.
    Ymd,
}

/// Why a date could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not a form of date tafteesh knows.
    Unrecognised,
    /// A known form naming a day that does not exist (31/02/2021).
    Impossible,
}

/// How to read a date field.
#[derive(Debug, Clone, Copy)]
pub struct DateStyle {
    pub order: DateOrder,
    /// 1900 or 1904: the epoch of Excel serial numbers.
    pub excel_system: u16,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parse one written date.
pub fn parse_date(raw: &str, style: DateStyle) -> Result<NaiveDate, DateError> {
    let s = crate::digits::to_ascii_digits(raw.trim());
    let s = s.as_ref();
    if s.is_empty() {
        return Err(DateError::Unrecognised);
    }
    // Excel serial: a bare number, maybe with a fractional time part.
    if let Some(d) = excel_serial(s, style.excel_system) {
        return d;
    }
    // ISO, maybe with a time: 2021-03-05, 2021-03-05T10:11:12+05:30, 2021-03-05 10:11.
    let date_part = s.split(['T', ' ']).next().unwrap_or(s);
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
        if parts[0].len() == 4 {
            return ymd(n[0] as i32, n[1], n[2]);
        }
        // Time after a day-first date ("05/03/2021 10:00") is ignored.
        let year = full_year(parts[2], n[2])?;
        let (d, m) = match style.order {
            DateOrder::Mdy => (n[1], n[0]),
            _ => (n[0], n[1]),
        };
        // An unambiguous date written in the other order (month > 12) is read as written.
        return match ymd(year, m, d) {
            Ok(date) => Ok(date),
            Err(DateError::Impossible) if m > 12 && d <= 12 => ymd(year, d, m),
            Err(e) => Err(e),
        };
    }
    named_month(s)
}

fn excel_serial(s: &str, system: u16) -> Option<Result<NaiveDate, DateError>> {
    if s.matches('.').count() > 1 {
        return None;
    }
    let int = s.split('.').next()?;
    let frac_ok = s
        .split('.')
        .nth(1)
        .is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    if int.is_empty() || int.len() > 5 || !frac_ok || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    if n < 1 {
        return Some(Err(DateError::Impossible));
    }
    let epoch = if system == 1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else if n >= 61 {
        // Excel's 1900 system counts a 29 Feb 1900 that never was.
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    };
    Some(Ok(epoch + chrono::Duration::days(n)))
}

fn full_year(text: &str, n: u32) -> Result<i32, DateError> {
    match text.len() {
        4 => Ok(n as i32),
        2 => {
            // Two-digit years: the most recent century that is not in the future.
            let this = chrono::Utc::now().year() % 100;
            Ok(if n as i32 <= this {
                2000 + n as i32
            } else {
                1900 + n as i32
            })
        }
        _ => Err(DateError::Unrecognised),
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, DateError> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(if m > 12 || d > 31 {
            DateError::Impossible
        } else {
            DateError::Unrecognised
        });
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::Impossible)
}

/// "05-Mar-21", "5th March 2021", "March 5, 2021", "5 Mar. 2021".
fn named_month(s: &str) -> Result<NaiveDate, DateError> {
    let lower = s.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '/' | ',' | '.'))
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() != 3 {
        return Err(DateError::Unrecognised);
    }
    let month_of = |t: &str| {
        MONTHS
            .iter()
            .position(|m| t.len() >= 3 && t.starts_with(m))
            .map(|i| i as u32 + 1)
    };
    let day_of = |t: &str| {
        let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &t[digits.len()..];
        let ok_suffix = matches!(suffix, "" | "st" | "nd" | "rd" | "th");
        if ok_suffix && !digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse::<u32>().ok()
        } else {
            None
        }
    };
    let year_of = |t: &str| {
        if t.bytes().all(|b| b.is_ascii_digit()) && (t.len() == 2 || t.len() == 4) {
            full_year(t, t.parse().ok()?).ok()
        } else {
            None
        }
    };
    let (d, m, y) = if let (Some(d), Some(m)) = (day_of(tokens[0]), month_of(tokens[1])) {
        (d, m, year_of(tokens[2]))
    } else if let (Some(m), Some(d)) = (month_of(tokens[0]), day_of(tokens[1])) {
        (d, m, year_of(tokens[2]))
    } else {
        return Err(DateError::Unrecognised);
    };
    ymd(y.ok_or(DateError::Unrecognised)?, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DMY: DateStyle = DateStyle {
        order: DateOrder::Dmy,
        excel_system: 1900,
    };
    const MDY: DateStyle = DateStyle {
        order: DateOrder::Mdy,
        excel_system: 1900,
    };

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn numeric_day_first_forms() {
        for s in [
            "05/03/2021",
            "05.03.2021 ",
            "05-03-2021",
            "05.03.2021",
            "5/3/21",
            "5-3-2021",
            "2021-03-05",
            "2021-03-05T10:12:00+05:30",
        ] {
            assert_eq!(parse_date(s, DMY), Ok(d(2021, 3, 5)), "{s}");
        }
    }

    #[test]
    fn declared_order_decides_ambiguous_dates() {
        assert_eq!(parse_date("03/05/2021", MDY), Ok(d(2021, 3, 5)));
        assert_eq!(parse_date("03/05/2021", DMY), Ok(d(2021, 5, 3)));
        // Unambiguous dates read as written whatever the declared order.
        assert_eq!(parse_date("25/12/2021", MDY), Ok(d(2021, 12, 25)));
    }

    #[test]
    fn month_names_and_ordinals() {
        for s in [
            "05-Mar-21",
            "5th March 2021",
            "March 5, 2021",
            "5 Mar. 2021",
            "05 MAR 2021",
        ] {
            assert_eq!(parse_date(s, DMY), Ok(d(2021, 3, 5)), "{s}");
        }
    }

    #[test]
    fn excel_serials_in_both_systems() {
        assert_eq!(parse_date("45292", DMY), Ok(d(2024, 1, 1)));
        assert_eq!(parse_date("45292.5", DMY), Ok(d(2024, 1, 1)));
        let s1904 = DateStyle {
            order: DateOrder::Dmy,
            excel_system: 1904,
        };
        assert_eq!(parse_date("43830", s1904), Ok(d(2024, 1, 1)));
    }

    #[test]
    fn bengali_digits() {
        assert_eq!(parse_date("০৫/০৩/২০২১", DMY), Ok(d(2021, 3, 5)));
    }

    #[test]
    fn impossible_and_junk_dates_are_errors() {
        assert_eq!(parse_date("31/02/2021", DMY), Err(DateError::Impossible));
        assert_eq!(parse_date("32/13/2021", DMY), Err(DateError::Impossible));
        assert_eq!(parse_date("not known", DMY), Err(DateError::Unrecognised));
        assert!(
            parse_date("2021", DMY).is_ok(),
            "a bare 4-digit number is an Excel serial"
        );
        assert_eq!(parse_date("5th Smarch 2021", DMY), Err(DateError::Unrecognised));
    }

    proptest::proptest! {
        #[test]
        fn any_real_date_round_trips_through_every_written_form(days in 0i64..40000) {
            let date = d(1950, 1, 1) + chrono::Duration::days(days);
            for f in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%b-%Y", "%-d %B %Y"] {
                let s = date.format(f).to_string();
                proptest::prop_assert_eq!(parse_date(&s, DMY), Ok(date), "{}", s);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_date(&s, DMY);
        }

        /// Strings made of what dates are made of reach the deeper paths.
        #[test]
        fn never_panics_on_date_like_text(s in "[0-9০-৯/.\\- ,a-zA-Z]{0,20}") {
            let _ = parse_date(&s, DMY);
        }
    }
}
