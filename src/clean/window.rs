//! The dates a partner's cleaning depends on: "in the future" depends on
//! the day a run cleans, so a carried-over partner is cleaned again once
//! the day moves past one of its dates ([`DateWindow`]).

use chrono::{Datelike, NaiveDate};

/// How far past the run's day (UTC) a date may lie: a partner in India
/// writes today's date up to five and a half hours before UTC reaches it.
pub const FUTURE_MARGIN_DAYS: u64 = 1;

/// The latest date a record may hold when cleaned on `today`.
pub fn latest_date(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_days(chrono::Days::new(FUTURE_MARGIN_DAYS))
        .unwrap_or(today)
}

/// The parsed dates nearest `today` on either side. Cleaning depends on the
/// day only through the "date in the future" rule, so a result cleaned on one
/// day holds on another day `d` exactly when no parsed date crosses it:
/// every past date is still on or before `d` and every future one still after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateWindow {
    /// The newest parsed date on or before [`latest_date`] (from 1950 on).
    pub max_past: Option<NaiveDate>,
    /// The oldest parsed date after [`latest_date`] (nulled when cleaned).
    pub min_future: Option<NaiveDate>,
}

impl DateWindow {
    /// Widen by one parsed date, judged against `today`.
    pub fn add(&mut self, d: NaiveDate, today: NaiveDate) {
        if d.year() < 1950 {
            return;
        }
        if d > latest_date(today) {
            self.min_future = Some(self.min_future.map_or(d, |m| m.min(d)));
        } else {
            self.max_past = Some(self.max_past.map_or(d, |m| m.max(d)));
        }
    }

    pub fn merge(&mut self, other: DateWindow) {
        if let Some(d) = other.max_past {
            self.max_past = Some(self.max_past.map_or(d, |m| m.max(d)));
        }
        if let Some(d) = other.min_future {
            self.min_future = Some(self.min_future.map_or(d, |m| m.min(d)));
        }
    }

    /// Would cleaning on `today` flag exactly the dates it flagged before?
    pub fn holds_on(&self, today: NaiveDate) -> bool {
        let latest = latest_date(today);
        self.max_past.is_none_or(|d| d <= latest) && self.min_future.is_none_or(|d| d > latest)
    }
}
