//! What a run did: the summary printed at the end and saved as `run.json`
//! in its snapshot, the totals over its file reports, and its ledger line's
//! counts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::ledger::{LedgerCount, LedgerEntry};
use crate::error::Exit;
use crate::ingest::{self, FileReport};
use crate::metrics::StageMetric;

/// Unusable files a partial run's reason names at most.
const FAILED_NAMED: usize = 10;

/// File reports `run.json` keeps at most, those of unusable files first:
/// a run record must not grow with the inbox.
const REPORTS_KEPT: usize = 200;

/// What a run did, printed at the end and saved as `run.json` in the snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub tafteesh_version: String,
    /// The exit code the run deserved (see [`RunSummary::exit`]).
    pub exit_code: u8,
    pub snapshot: PathBuf,
    pub warehouse: PathBuf,
    pub report_html: PathBuf,
    pub report_csv: PathBuf,
    pub report_xlsx: PathBuf,
    pub codebook: PathBuf,
    pub quarantine: PathBuf,
    /// Every file's report (`run.json` keeps the first [`REPORTS_KEPT`],
    /// unusable files first; `files_read` and `files_failed` count them all).
    #[serde(serialize_with = "bounded_reports")]
    pub files: Vec<FileReport>,
    #[serde(serialize_with = "bounded_names")]
    pub unclaimed_files: Vec<String>,
    /// Distinct files used, and distinct files that could not be used.
    pub files_read: usize,
    pub files_failed: usize,
    pub rows_read: usize,
    pub duplicates_removed: usize,
    pub rows_quarantined: usize,
    pub field_warnings: usize,
    /// Canonical table -> rows in the lake.
    pub table_rows: BTreeMap<String, usize>,
    pub models_built: usize,
    pub model_tests_passed: usize,
    pub indicator_rows: usize,
    /// Indicator figures hidden by small-cell suppression (primary, secondary).
    pub cells_suppressed: crate::suppress::Counts,
    /// Partners cleaned again, and partners carried over from the previous snapshot.
    pub recomputed_partners: Vec<String>,
    pub reused_partners: Vec<String>,
    /// Within extract+stage+clean: seconds reading files and seconds cleaning them.
    pub ingest_times: ingest::IngestTimes,
    pub stages: Vec<StageMetric>,
    /// Within the warehouse stage: each raw table's load, each model, suppression, the history.
    pub warehouse_steps: Vec<crate::warehouse::StepTiming>,
    /// Whether linkage trained its model or reused it, and the pairs it scored.
    pub linkage: Option<crate::link::stage::LinkageRun>,
}

impl RunSummary {
    /// The exit code this run deserves.
    pub fn exit(&self) -> Exit {
        if self.files.iter().any(|f| f.error.is_some()) {
            Exit::Partial
        } else if self.rows_quarantined > 0 || self.field_warnings > 0 || !self.unclaimed_files.is_empty() {
            Exit::DataQualityWarnings
        } else {
            Exit::Success
        }
    }

    /// Why a run is partial (exit 4): each file that could not be used, its
    /// partner and why, in one line for the ledger, the log and the
    /// `--on-failure` command's TAFTEESH_ERROR. File names and reasons
    /// only: a reason names rows and fields, never a value.
    pub fn partial_reason(&self) -> Option<String> {
        let mut seen = std::collections::BTreeSet::new();
        let failed: Vec<String> = self
            .files
            .iter()
            .filter_map(|f| {
                let why = f.error.as_deref()?;
                let partner = if f.partner_id.is_empty() {
                    "no partner"
                } else {
                    f.partner_id.as_str()
                };
                let line = format!("{} ({partner}): {}", f.file, why.lines().next().unwrap_or_default());
                seen.insert(line.clone()).then_some(line)
            })
            .collect();
        (!failed.is_empty()).then(|| {
            // Bounded: a night with thousands of unreadable files must not
            // write a line (and an alert) that grows with them.
            let more = match failed.len().saturating_sub(FAILED_NAMED) {
                0 => String::new(),
                n => format!("; and {n} more (the run's own output names each)"),
            };
            format!(
                "{} input file(s) could not be used, and the snapshot leaves them out: {}{more}",
                self.files_failed,
                failed[..failed.len().min(FAILED_NAMED)].join("; ")
            )
        })
    }
}

fn bounded_reports<S: serde::Serializer>(files: &[FileReport], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(files.len().min(REPORTS_KEPT)))?;
    let failed = files.iter().filter(|f| f.error.is_some());
    let used = files.iter().filter(|f| f.error.is_none());
    for f in failed.chain(used).take(REPORTS_KEPT) {
        seq.serialize_element(f)?;
    }
    seq.end()
}

fn bounded_names<S: serde::Serializer>(names: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().take(REPORTS_KEPT))
}

pub fn distinct_files(files: &[FileReport], failed: bool) -> usize {
    let mut names: Vec<&str> = files
        .iter()
        .filter(|f| f.error.is_some() == failed)
        .map(|f| f.file.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// Counts over every file report of a run.
pub struct Totals {
    pub rows_read: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    pub warnings: usize,
    /// Canonical table -> rows kept in the lake.
    pub table_rows: BTreeMap<String, usize>,
}

impl Totals {
    pub fn of(files: &[FileReport]) -> Totals {
        let mut table_rows = BTreeMap::new();
        for t in files.iter().flat_map(|f| &f.tables) {
            *table_rows.entry(t.table.clone()).or_insert(0) += t.kept;
        }
        Totals {
            rows_read: files.iter().map(|f| f.rows_read).sum(),
            duplicates: files.iter().map(|f| f.duplicates).sum(),
            quarantined: files.iter().flat_map(|f| &f.tables).map(|t| t.quarantined).sum(),
            warnings: files.iter().flat_map(|f| &f.tables).map(|t| t.warnings).sum(),
            table_rows,
        }
    }
}

/// Copy the run's counts into its ledger line.
pub fn fill_entry(entry: &mut LedgerEntry, s: &RunSummary) {
    entry.exit_code = s.exit_code;
    entry.error = s.partial_reason();
    entry.rows_read = s.rows_read;
    entry.rows_kept = s.table_rows.values().sum();
    entry.rows_quarantined = s.rows_quarantined;
    entry.duplicates_removed = s.duplicates_removed;
    entry.stages = s.stages.clone();
    entry.warehouse_steps = s.warehouse_steps.clone();
    entry.linkage = s.linkage.clone();
    entry.recomputed = s.recomputed_partners.clone();
    entry.reused = s.reused_partners.clone();
    let mut counts: BTreeMap<(String, String), LedgerCount> = BTreeMap::new();
    for f in &s.files {
        for t in &f.tables {
            let c = counts
                .entry((f.partner_id.clone(), t.table.clone()))
                .or_insert_with(|| LedgerCount {
                    partner_id: f.partner_id.clone(),
                    table_name: t.table.clone(),
                    files: 0,
                    rows_read: 0,
                    duplicates: 0,
                    quarantined: 0,
                    kept: 0,
                    warnings: 0,
                    clean_records: 0,
                });
            c.files += 1;
            c.rows_read += t.rows_read;
            c.duplicates += t.duplicates;
            c.quarantined += t.quarantined;
            c.kept += t.kept;
            c.warnings += t.warnings;
            c.clean_records += t.clean_records;
        }
    }
    entry.counts = counts.into_values().collect();
}
