//! Row accounting: what happened to every row of every file, per table it
//! feeds. read = kept + quarantined + exact duplicates + rows that hold no
//! record of that table; [`TableCount::check`] fails the run loudly (an
//! internal error) when a count does not add up.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The counts of one table fed by one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableCount {
    pub table: String,
    pub rows_read: usize,
    pub duplicates: usize,
    pub no_record: usize,
    pub quarantined: usize,
    pub kept: usize,
    pub warnings: usize,
    /// Records (kept or quarantined) with no finding at all: the MIS accuracy numerator.
    #[serde(default)]
    pub clean_records: usize,
    /// The newest date in the file's records of this table, not in the future: timeliness.
    #[serde(default)]
    pub newest_date: Option<NaiveDate>,
}

impl TableCount {
    /// Every row read is accounted for, or the run stops.
    pub fn check(&self, file: &str) -> Result<()> {
        if self.duplicates + self.no_record + self.quarantined + self.kept == self.rows_read {
            return Ok(());
        }
        Err(Error::Internal(format!(
            "row accounting broken for {} table {}: read {} != kept {} + quarantined {} + duplicates {} + no record {}",
            file, self.table, self.rows_read, self.kept, self.quarantined, self.duplicates, self.no_record
        )))
    }
}

/// What happened to one input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub partner_id: String,
    pub source: String,
    /// Path relative to the inbox.
    pub file: String,
    /// Why the file (or one of its feeds) could not be used; None when it was.
    pub error: Option<String>,
    pub rows_read: usize,
    pub blank_rows: usize,
    pub duplicates: usize,
    pub notes: Vec<String>,
    pub tables: Vec<TableCount>,
    /// When the partner wrote the export (the file's modification time).
    #[serde(default)]
    pub exported_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The file ends in the middle of a row: it looks cut short.
    #[serde(default)]
    pub cut_short: bool,
}

impl FileReport {
    /// A report for a file not yet read: every count zero.
    pub fn new(partner_id: &str, source: &str, file: &str) -> Self {
        FileReport {
            partner_id: partner_id.to_string(),
            source: source.to_string(),
            file: file.to_string(),
            error: None,
            rows_read: 0,
            blank_rows: 0,
            duplicates: 0,
            notes: vec![],
            tables: vec![],
            exported_at: None,
            cut_short: false,
        }
    }

    /// A report for a file that could not be used at all.
    pub fn failed(partner_id: &str, source: &str, file: &str, error: String) -> Self {
        FileReport {
            error: Some(error),
            ..Self::new(partner_id, source, file)
        }
    }
}
