//! One survivor record as linkage sees it: names prepared for comparison,
//! phone and village in plaintext (in memory only, read from the restricted
//! area), dates and places from the lake.

use chrono::{Datelike, NaiveDate};

use super::names::NameKey;

/// One survivor record as linkage sees it. Names, phone and village are
/// plaintext here, in memory only.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The partner (or file) the record came from, for the link type.
    pub source: u32,
    pub name: Option<NameKey>,
    /// The name's first token as written.
    pub given_name: Option<NameKey>,
    /// The name's last token as written, when it has two or more.
    pub surname: Option<NameKey>,
    pub guardian: Option<NameKey>,
    pub phone: Option<String>,
    /// Another identifier the partner records (normalised: letters and digits, upper case).
    pub identifier: Option<String>,
    pub village: Option<String>,
    /// The rest of the home address as written (house, street, post office).
    pub address: Option<String>,
    /// A label of the linked case (FIR) the record is attached to, found
    /// before survivors are linked; co-victims share it.
    pub case: Option<String>,
    pub dob: Option<NaiveDate>,
    /// Year of birth from age at rescue, when there is no date of birth.
    pub birth_year: Option<i32>,
    /// Age at rescue in years, as recorded.
    pub age: Option<i32>,
    pub district: Option<String>,
    pub block: Option<String>,
    /// Rescue or return: one event, which every partner that met her records.
    pub rescue: Option<NaiveDate>,
    pub registered: Option<NaiveDate>,
}

impl Person {
    /// Year of birth: from the date of birth, else from age at rescue.
    pub fn birth_year(&self) -> Option<i32> {
        self.dob.map(|d| d.year()).or(self.birth_year)
    }

    /// Age at rescue: as recorded, else counted from the date of birth to
    /// the rescue. A register with an age and no date is compared on it
    /// (see the `dob` field).
    pub fn age_at_rescue(&self) -> Option<i32> {
        self.age
            .or_else(|| self.rescue?.years_since(self.dob?).map(|y| y as i32))
    }

    /// Set the name, and the given name and surname read from it.
    pub fn with_name(mut self, raw: Option<&str>) -> Person {
        self.name = raw.and_then(NameKey::new);
        (self.given_name, self.surname) = raw.map(NameKey::given_and_surname).unwrap_or_default();
        self
    }
}
