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
use crate::clean::{DateWindow, FeedContext, FeedOutput, Issue, MissingColumns, Severity, clean_feed};
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
    // Each file's place among the partner's files in path order (a
    // workbook read for two sources is one file): a record's newest
    // version is the one in the last.
    let mut order: HashMap<&str, i64> = HashMap::new();
    for c in claims {
        let next = order.len() as i64 + 1;
        order.entry(c.file.as_str()).or_insert(next);
    }
    let mut ingest = PartnerIngest {
        plan,
        partner,
        pseudo,
        aliases,
        today,
        area: PartnerArea::create(restricted, partner)?,
        order,
        seen: HashMap::new(),
        frames: BTreeMap::new(),
        plain_frames: BTreeMap::new(),
        issue_rows: IssueRows::default(),
        score_rows: ScoreRows::default(),
        place_rows: PlaceRows::default(),
        quarantine: QuarantineRows::default(),
        reports: Vec::new(),
        window: DateWindow::default(),
        times: IngestTimes::default(),
    };
    for c in claims {
        ingest.file(c)?;
    }
    for (i, s) in pipeline.sources.iter().enumerate() {
        if !claims.iter().any(|c| c.source_index == i) {
            tracing::error!(partner, source = %s.name, glob = %s.files, "no inbox file matches this source");
            let why = format!("no file in the inbox matches `{}`: the export is missing", s.files);
            ingest.reports.push(FileReport::failed(partner, &s.name, &s.files, why));
        }
    }
    ingest.finish()
}

/// One partner's ingest while its files are read: what it needs from the
/// run, and what its files gave so far.
struct PartnerIngest<'p> {
    plan: &'p Plan,
    partner: &'p str,
    pseudo: &'p Pseudonymizer,
    aliases: &'p crate::aliases::FileAliases,
    today: NaiveDate,
    area: PartnerArea,
    /// Each file's place among the partner's files in path order.
    order: HashMap<&'p str, i64>,
    /// Exact duplicates are judged per partner source, across its files, in path order.
    seen: HashMap<usize, foldhash::HashSet<[u8; 16]>>,
    /// Kept rows, by table, one frame per file.
    frames: BTreeMap<String, Vec<DataFrame>>,
    /// What linkage compares as written, by table, one frame per file.
    plain_frames: BTreeMap<String, Vec<DataFrame>>,
    issue_rows: IssueRows,
    score_rows: ScoreRows,
    place_rows: PlaceRows,
    quarantine: QuarantineRows,
    reports: Vec<FileReport>,
    window: DateWindow,
    times: IngestTimes,
}

impl PartnerIngest<'_> {
    /// Read, deduplicate, stage and clean one claimed file, and account for
    /// every row of every table it feeds. A file that cannot be read, or a
    /// table it cannot feed, is reported, not fatal.
    fn file(&mut self, c: &Claim<'_>) -> Result<()> {
        // The name every published file, table and log line uses for this
        // file: its alias, whatever it holds.
        let alias = self.aliases.of(&c.file);
        let file = alias.as_str();
        let Some((raw, mut report)) = self.read(c, file) else {
            return Ok(());
        };
        // Keyed hashes of every row, in parallel (a night cleans one
        // partner, and the other core would otherwise wait).
        let hashes: Vec<[u8; 16]> = {
            use rayon::prelude::*;
            (0..raw.len())
                .into_par_iter()
                .map(|r| self.pseudo.row_hash(raw.columns.iter().map(|col| col[r].as_str())))
                .collect()
        };
        let seen_here = self.seen.entry(c.source_index).or_default();
        let live: Vec<usize> = (0..raw.len()).filter(|&r| seen_here.insert(hashes[r])).collect();
        report.duplicates = raw.len() - live.len();
        let cleaned = self.stage_and_clean(c, file, &raw, &live, &hashes)?;
        let mut file_quarantine: BTreeMap<usize, Vec<(String, Issue)>> = BTreeMap::new();
        for (table, out) in cleaned {
            match out {
                Ok(out) => {
                    let quarantined = self.account((file, &c.file), table, &raw, out, &mut report)?;
                    for (row, errs) in quarantined {
                        file_quarantine
                            .entry(row)
                            .or_default()
                            .extend(errs.into_iter().map(|e| (table.clone(), e)));
                    }
                }
                Err(m) => {
                    let msg = format!("table `{table}`: {}", unusable(&m));
                    tracing::error!(partner = self.partner, file, "file not used: {msg}");
                    report.error = Some(msg);
                }
            }
        }
        // The quarantine is the data officer's: it keeps the real name.
        let names = (file, c.file.as_str());
        self.quarantine
            .add(self.partner, names, &raw, &file_quarantine, self.area.quarantine())?;
        self.reports.push(report);
        // A cell is a string of its own, and freeing a 300,000-row export's
        // eleven million of them showed in the stage's one-core tail (perf):
        // done on another thread now.
        std::thread::spawn(move || drop(raw));
        Ok(())
    }

    /// The file's rows and its report so far; `None` (reported) when it
    /// cannot be read.
    fn read(&mut self, c: &Claim<'_>, file: &str) -> Option<(RawTable, FileReport)> {
        let partner = self.partner;
        let path = self.plan.inbox.join(&c.file);
        let t_read = std::time::Instant::now();
        let raw = extract::read(&path, c.source, &self.plan.limits);
        self.times.read += t_read.elapsed().as_secs_f64();
        let mut report = FileReport::new(partner, &c.source.name, file);
        report.exported_at = std::fs::metadata(&path).and_then(|m| m.modified()).ok().map(Into::into);
        let raw = match raw {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(partner, file, source = %c.source.name, "file not read: {e}");
                report.error = Some(e.to_string());
                self.reports.push(report);
                return None;
            }
        };
        for n in &raw.notes {
            tracing::warn!(partner, file, "{n}");
        }
        report.notes = raw.notes.clone();
        report.rows_read = raw.len();
        report.blank_rows = raw.blank_rows;
        report.cut_short = raw.cut_short.is_some();
        Some((raw, report))
    }

    /// Stage the raw rows on one side while the tables the file feeds are
    /// cleaned, each on its own, on the other: they only read the file's
    /// rows, and one step after another they left a core idle. What the
    /// cleaning found is then accounted for table by table, in the
    /// pipeline's order.
    #[allow(clippy::type_complexity)]
    fn stage_and_clean<'c>(
        &mut self,
        c: &'c Claim<'_>,
        file: &str,
        raw: &RawTable,
        live: &[usize],
        hashes: &[[u8; 16]],
    ) -> Result<Vec<(&'c String, std::result::Result<FeedOutput, MissingColumns>)>> {
        let style = DateStyle {
            order: c.pipeline.date_order,
            excel_system: c.source.excel_date_system,
        };
        let cpu_clean = crate::metrics::process_cpu_seconds();
        let (staged, (cleaned, clean_seconds)) = rayon::join(
            || self.area.stage_raw(raw, hashes, c.source_index, file),
            || {
                use rayon::prelude::*;
                let t_clean = std::time::Instant::now();
                let tables: Vec<_> = c.source.tables.iter().collect();
                let cleaned = tables
                    .into_par_iter()
                    .map(|(table, feed)| {
                        let ctx = FeedContext {
                            partner_id: self.partner,
                            source_file: file,
                            source_file_order: self.order[c.file.as_str()],
                            schema: self.plan.model.schema(table),
                            feed,
                            reference: &self.plan.model.reference,
                            style,
                            decimal_comma: c.source.decimal_separator == ",",
                            pseudo: self.pseudo,
                            today: self.today,
                            rejects: &c.source.reject,
                            date_format: c.source.date_format.as_deref(),
                        };
                        (table, clean_feed(raw, live, hashes, &ctx))
                    })
                    .collect::<Vec<_>>();
                (cleaned, t_clean.elapsed().as_secs_f64())
            },
        );
        self.times.clean += clean_seconds;
        self.times.clean_cpu += crate::metrics::process_cpu_seconds() - cpu_clean;
        staged?;
        Ok(cleaned)
    }

    /// Account for one table the file feeds: its counts (checked to add
    /// up), findings, scores, unknown places and frames. Returns the
    /// quarantined rows, with their errors.
    fn account(
        &mut self,
        (file, real_name): (&str, &str),
        table: &String,
        raw: &RawTable,
        out: FeedOutput,
        report: &mut FileReport,
    ) -> Result<Vec<(usize, Vec<Issue>)>> {
        let partner = self.partner;
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
        self.issue_rows.add(partner, file, table, raw, &out.issues);
        self.score_rows.add(partner, file, table, &out.scores);
        self.place_rows
            .add(partner, (file, real_name), table, &out.unknown_places);
        self.window.merge(out.window);
        self.frames.entry(table.clone()).or_default().push(out.frame);
        if let Some(plain) = out.plain {
            self.plain_frames.entry(table.clone()).or_default().push(plain);
        }
        report.tables.push(count);
        Ok(out.quarantined)
    }

    /// Every canonical table (an empty one where the partner feeds none),
    /// the quarantine and linkage files written, the findings gathered.
    fn finish(mut self) -> Result<PartnerOutput> {
        let mut tables = BTreeMap::new();
        for schema in &self.plan.model.schemas {
            let parts = self.frames.remove(&schema.table).unwrap_or_default();
            let df = if parts.is_empty() {
                empty_table(self.plan, &schema.table, self.pseudo, self.today)?
            } else {
                concat_frames(parts)?
            };
            tables.insert(schema.table.clone(), df);
        }
        self.quarantine.finish(self.area.quarantine())?;
        // Plaintext identifiers for linkage: restricted, one file per table.
        let mut plain = BTreeMap::new();
        for (table, parts) in self.plain_frames {
            plain.insert(table, concat_frames(parts)?);
        }
        self.area.write_linkage(plain)?;
        let (unknown_places, spellings) = self.place_rows.finish()?;
        self.area.write_unknown_places(&spellings)?;
        Ok(PartnerOutput {
            partner_id: self.partner.to_string(),
            tables,
            issues: self.issue_rows.finish()?,
            scores: self.score_rows.finish()?,
            unknown_places,
            files: self.reports,
            times: self.times,
            window: self.window,
        })
    }
}

/// Why a table cannot use a file: the columns it maps, or its conditions
/// name, that the file lacks (headers, as the config names them).
fn unusable(m: &MissingColumns) -> String {
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
    why.join("; ")
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
