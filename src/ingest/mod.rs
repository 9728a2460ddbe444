//! Ingest: from the inbox to the lake. For every file a pipeline claims:
//! extract, remove exact duplicate rows, stage the raw rows (restricted),
//! clean each table the file feeds, quarantine unusable rows (restricted),
//! and gather kept rows into the lake's canonical tables.
//!
//! Which files each partner reads is [`claim`]'s to say; every row read is
//! accounted for per file and table ([`crate::accounting`]); every file is
//! named by its alias ([`crate::aliases`]), never its own name. The lake's
//! data-quality tables are built by [`crate::lake::dq`], and everything
//! with plaintext is written by [`crate::restricted`].

pub mod claim;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::accounting::{FileReport, TableCount};
pub use claim::{Claim, Claims, claim, glob_matcher};

use crate::clean::dates::DateStyle;
use crate::clean::{DateWindow, FeedContext, Issue, Severity, clean_feed};
use crate::config::Plan;
use crate::config::pipeline::Pipeline;
use crate::error::{Error, Result};
use crate::extract::{self, RawTable};
use crate::lake::{
    self,
    dq::{IssueRows, PlaceRows, ScoreRows},
};
use crate::layout::RestrictedDir;
use crate::privacy::Pseudonymizer;
use crate::restricted::{PartnerArea, QuarantineRows};

/// The result of ingesting one partner's files.
#[derive(Debug)]
pub struct PartnerOutput {
    pub partner_id: String,
    /// Every canonical table -> the partner's kept rows (zero rows where it feeds none).
    pub tables: BTreeMap<String, DataFrame>,
    /// The partner's data-quality findings, without values.
    pub issues: DataFrame,
    /// The per-field scorecard of each file and table.
    pub scores: DataFrame,
    /// Place spellings the gazetteer lacks, per file, table and field.
    pub unknown_places: DataFrame,
    pub files: Vec<FileReport>,
    /// Where the partner's parsed dates lie around the run's day.
    pub window: DateWindow,
    pub times: IngestTimes,
}

impl PartnerOutput {
    /// Write one partner's lake parts: every canonical table, its data-quality
    /// findings and its per-file accounting.
    pub fn write(&mut self, dir: &Path) -> Result<()> {
        use rayon::prelude::*;
        let out = self;
        let mut load_files = lake::load_files_frame(&out.files)?;
        // Each part is its own file, compressed on its own: written side by
        // side (a night cleans one partner, and compressing its tables one
        // after another left a core idle).
        let mut parts: Vec<(&str, &mut DataFrame)> = out
            .tables
            .iter_mut()
            .map(|(name, df)| (name.as_str(), df))
            .chain([
                ("dq_issues", &mut out.issues),
                ("dq_fields", &mut out.scores),
                ("dq_unknown_places", &mut out.unknown_places),
                ("load_files", &mut load_files),
            ])
            .collect();
        let partner = out.partner_id.as_str();
        parts
            .par_iter_mut()
            .map(|(name, df)| lake::write_parquet(df, &lake::part(dir, name, partner)))
            .collect::<Result<Vec<()>>>()?;
        // The frames are written: free them before the next partner is read.
        out.tables.clear();
        Ok(())
    }
}

/// Seconds spent reading files (decode and parse CSV or XLSX into cells)
/// and cleaning them (every value parsed, checked and pseudonymised), so
/// the bench can set the one against the other. Over a run they are summed
/// over partners, which are cleaned two at a time: the sums can exceed the
/// stage's wall time.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct IngestTimes {
    pub read: f64,
    /// Seconds of cleaning a file's tables (side by side, while its raw rows
    /// are staged).
    pub clean: f64,
    /// CPU seconds over all the threads, while the tables were cleaned:
    /// process CPU, so it holds the staging's, which runs alongside, and,
    /// while two partners are cleaned at once, some of the other's.
    #[serde(default)]
    pub clean_cpu: f64,
}

/// Ingest one partner's claimed files (in path order). `restricted` is the
/// restricted area being built; the partner writes
/// only below `staged/<partner>` and `quarantine/<partner>` in it, so an
/// unchanged partner's folders can be carried to the next run as they are.
/// A source no file matches is reported as a missing export.
pub fn ingest_partner(
    plan: &Plan,
    pipeline: &Pipeline,
    claims: &[Claim<'_>],
    (pseudo, aliases): (&Pseudonymizer, &crate::aliases::FileAliases),
    today: NaiveDate,
    restricted: &RestrictedDir,
) -> Result<PartnerOutput> {
    let partner = pipeline.partner_id.as_str();
    let area = PartnerArea::create(restricted, partner)?;
    let mut frames: BTreeMap<String, Vec<DataFrame>> = BTreeMap::new();
    let mut issue_rows = IssueRows::default();
    let mut score_rows = ScoreRows::default();
    let mut place_rows = PlaceRows::default();
    let mut plain_frames: BTreeMap<String, Vec<DataFrame>> = BTreeMap::new();
    let mut times = IngestTimes::default();
    let mut quarantine = QuarantineRows::default();
    let mut reports = Vec::new();
    let mut window = DateWindow::default();
    // Exact duplicates are judged per partner source, across its files, in path order.
    let mut seen: HashMap<usize, foldhash::HashSet<[u8; 16]>> = HashMap::new();

    // Each file's place among the partner's files in path order (a
    // workbook read for two sources is one file): a record's newest
    // version is the one in the last.
    let mut order: HashMap<&str, i64> = HashMap::new();
    for c in claims {
        let next = order.len() as i64 + 1;
        order.entry(c.file.as_str()).or_insert(next);
    }
    for c in claims {
        let path = plan.inbox.join(&c.file);
        // The name every published file, table and log line uses for this
        // file: its alias, whatever it holds.
        let file = aliases.of(&c.file);
        let file = file.as_str();
        let t_read = std::time::Instant::now();
        let raw = extract::read(&path, c.source);
        times.read += t_read.elapsed().as_secs_f64();
        let mut report = FileReport::new(partner, &c.source.name, file);
        report.exported_at = std::fs::metadata(&path).and_then(|m| m.modified()).ok().map(Into::into);
        let raw = match raw {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(partner, file, source = %c.source.name, "file not read: {e}");
                report.error = Some(e.to_string());
                reports.push(report);
                continue;
            }
        };
        for n in &raw.notes {
            tracing::warn!(partner, file, "{n}");
        }
        report.notes = raw.notes.clone();
        report.rows_read = raw.len();
        report.blank_rows = raw.blank_rows;
        report.cut_short = raw.cut_short.is_some();

        // Keyed hashes of every row, in parallel (a night cleans one
        // partner, and the other core would otherwise wait).
        let hashes: Vec<[u8; 16]> = {
            use rayon::prelude::*;
            (0..raw.len())
                .into_par_iter()
                .map(|r| pseudo.row_hash(raw.columns.iter().map(|col| col[r].as_str())))
                .collect()
        };
        let seen_here = seen.entry(c.source_index).or_default();
        let live: Vec<usize> = (0..raw.len()).filter(|&r| seen_here.insert(hashes[r])).collect();
        report.duplicates = raw.len() - live.len();

        let style = DateStyle {
            order: c.pipeline.date_order,
            excel_system: c.source.excel_date_system,
        };
        // The raw rows are staged on one side while the tables the file
        // feeds are cleaned, each on its own, on the other: they only read
        // the file's rows. At a million survivors, a Kobo export feeding
        // two tables took 8.8 s one step after another. What the cleaning
        // found is then accounted for table by table, in the pipeline's
        // order, as before.
        let cpu_clean = crate::metrics::process_cpu_seconds();
        let (staged, (cleaned, clean_seconds)) = rayon::join(
            || area.stage_raw(&raw, &hashes, c.source_index, file),
            || {
                use rayon::prelude::*;
                let t_clean = std::time::Instant::now();
                let tables: Vec<_> = c.source.tables.iter().collect();
                let cleaned = tables
                    .into_par_iter()
                    .map(|(table, feed)| {
                        let ctx = FeedContext {
                            partner_id: partner,
                            source_file: file,
                            source_file_order: order[c.file.as_str()],
                            schema: plan.model.schema(table),
                            feed,
                            reference: &plan.model.reference,
                            style,
                            decimal_comma: c.source.decimal_separator == ",",
                            pseudo,
                            today,
                            rejects: &c.source.reject,
                            date_format: c.source.date_format.as_deref(),
                        };
                        (table, clean_feed(&raw, &live, &hashes, &ctx))
                    })
                    .collect::<Vec<_>>();
                (cleaned, t_clean.elapsed().as_secs_f64())
            },
        );
        times.clean += clean_seconds;
        times.clean_cpu += crate::metrics::process_cpu_seconds() - cpu_clean;
        staged?;
        let mut file_quarantine: BTreeMap<usize, Vec<(String, Issue)>> = BTreeMap::new();
        for (table, out) in cleaned {
            let out = match out {
                Ok(o) => o,
                Err(m) => {
                    let mut why = Vec::new();
                    if !m.missing.is_empty() {
                        why.push(format!(
                            "mapped columns not found in the file: {}",
                            m.missing.join(", ")
                        ));
                    }
                    if !m.condition.is_empty() {
                        why.push(format!(
                            "columns its conditions, joins, patterns, routes or choices name not found in the file: {}",
                            m.condition.join(", ")
                        ));
                    }
                    let msg = format!("table `{table}`: {}", why.join("; "));
                    tracing::error!(partner, file, "file not used: {msg}");
                    report.error = Some(msg);
                    continue;
                }
            };
            let count = TableCount {
                table: table.clone(),
                rows_read: raw.len(),
                duplicates: report.duplicates,
                no_record: out.no_record,
                quarantined: out.quarantined.len(),
                kept: out.frame.height(),
                warnings: out.issues.iter().filter(|i| i.severity == Severity::Warning).count(),
                clean_records: out.clean_records,
                newest_date: out.window.max_past,
            };
            count.check(file)?;
            tracing::info!(
                partner, file, table = %table, read = count.rows_read, kept = count.kept,
                quarantined = count.quarantined, duplicates = count.duplicates, no_record = count.no_record,
                warnings = count.warnings, "cleaned"
            );
            issue_rows.add(partner, file, table, &raw, &out.issues);
            score_rows.add(partner, file, table, &out.scores);
            place_rows.add(partner, (file, &c.file), table, &out.unknown_places);
            window.merge(out.window);
            for (row, errs) in out.quarantined {
                file_quarantine
                    .entry(row)
                    .or_default()
                    .extend(errs.into_iter().map(|e| (table.clone(), e)));
            }
            frames.entry(table.clone()).or_default().push(out.frame);
            if let Some(plain) = out.plain {
                plain_frames.entry(table.clone()).or_default().push(plain);
            }
            report.tables.push(count);
        }
        // The quarantine is the data officer's: it keeps the real name.
        quarantine.add(partner, (file, &c.file), &raw, &file_quarantine, area.quarantine())?;
        reports.push(report);
        // A cell is a string of its own, and freeing a 300,000-row export's
        // eleven million of them showed in the stage's one-core tail (perf):
        // done on another thread now.
        std::thread::spawn(move || drop(raw));
    }

    for (i, s) in pipeline.sources.iter().enumerate() {
        if !claims.iter().any(|c| c.source_index == i) {
            tracing::error!(partner, source = %s.name, glob = %s.files, "no inbox file matches this source");
            let why = format!("no file in the inbox matches `{}`: the export is missing", s.files);
            reports.push(FileReport::failed(partner, &s.name, &s.files, why));
        }
    }

    let mut tables = BTreeMap::new();
    for schema in &plan.model.schemas {
        let parts = frames.remove(&schema.table).unwrap_or_default();
        let df = if parts.is_empty() {
            empty_table(plan, &schema.table, pseudo, today)?
        } else {
            concat_frames(parts)?
        };
        tables.insert(schema.table.clone(), df);
    }
    quarantine.finish(area.quarantine())?;
    // Plaintext identifiers for linkage: restricted, one file per table.
    let mut plain = BTreeMap::new();
    for (table, parts) in plain_frames {
        plain.insert(table, concat_frames(parts)?);
    }
    area.write_linkage(plain)?;
    let (unknown_places, spellings) = place_rows.finish()?;
    area.write_unknown_places(&spellings)?;
    Ok(PartnerOutput {
        partner_id: partner.to_string(),
        tables,
        issues: issue_rows.finish()?,
        scores: score_rows.finish()?,
        unknown_places,
        files: reports,
        times,
        window,
    })
}

/// An empty lake table with the right columns, so the warehouse builds on an empty inbox.
fn empty_table(plan: &Plan, table: &str, pseudo: &Pseudonymizer, today: NaiveDate) -> Result<DataFrame> {
    let mut raw = RawTable::default();
    let schema = plan.model.schema(table);
    let feed = crate::config::pipeline::TableFeed {
        columns: schema
            .columns
            .iter()
            .filter(|c| c.is_mappable())
            .map(|c| (c.name.clone(), c.name.clone()))
            .collect(),
        ..Default::default()
    };
    for c in feed.columns.values() {
        raw.headers.push(c.clone());
        raw.columns.push(Vec::new());
    }
    let ctx = FeedContext {
        partner_id: "",
        source_file: "",
        source_file_order: 0,
        schema,
        feed: &feed,
        reference: &plan.model.reference,
        style: DateStyle {
            order: Default::default(),
            excel_system: 1900,
        },
        decimal_comma: false,
        pseudo,
        today,
        rejects: &[],
        date_format: None,
    };
    clean_feed(&raw, &[], &[], &ctx)
        .map(|o| o.frame)
        .map_err(|_| Error::Internal(format!("cannot build an empty `{table}` table")))
}

fn concat_frames(parts: Vec<DataFrame>) -> Result<DataFrame> {
    let lazy: Vec<LazyFrame> = parts.into_iter().map(|d| d.lazy()).collect();
    concat(lazy, UnionArgs::default())
        .and_then(|l| l.collect())
        .map_err(Error::frame("concatenating lake tables"))
}
