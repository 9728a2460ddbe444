//! One survivor record as linkage sees it: names prepared for comparison,
//! phone and village in plaintext (in memory only, read from the restricted
//! area), dates and places from the lake.

use chrono::{Datelike, NaiveDate};

use super::names::NameKey;

/// One survivor record as linkage sees it. Names, phone and village are
/// plaintext here, in memory only.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub name: Option<NameKey>,
    pub guardian: Option<NameKey>,
    pub phone: Option<String>,
    /// Another identifier the partner records (normalised: letters and digits, upper case).
    pub identifier: Option<String>,
    pub village: Option<String>,
    pub dob: Option<NaiveDate>,
    /// Year of birth from age at rescue, when there is no date of birth.
    pub birth_year: Option<i32>,
    pub district: Option<String>,
    pub block: Option<String>,
    /// Rescue or return: one event, which every partner that met her records.
    pub rescue: Option<NaiveDate>,
}

impl Person {
    /// Year of birth: from the date of birth, else from age at rescue.
    pub fn birth_year(&self) -> Option<i32> {
        self.dob.map(|d| d.year()).or(self.birth_year)
    }
}
