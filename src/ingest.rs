//! Ingest: from the inbox to the lake. For every file a pipeline claims:
//! extract, remove exact duplicate rows, stage the raw rows (restricted),
//! clean each table the file feeds, quarantine unusable rows (restricted),
//! and gather kept rows into the lake's canonical tables.
//!
//! Every row read is accounted for, per file and table:
//! read = kept + quarantined + exact duplicates + rows that hold no record
//! of that table. The run fails loudly (an internal error) if it does not.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clean::dates::DateStyle;
use crate::clean::{DateWindow, FeedContext, Issue, Severity, clean_feed, rule_message};
use crate::config::Plan;
use crate::config::pipeline::{Pipeline, Source};
use crate::error::{Error, Result};
use crate::extract::{self, RawTable};
use crate::privacy::{Pseudonymizer, restricted_dir};

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

/// Seconds spent reading files (decode and parse CSV or XLSX into cells)
/// and cleaning them (every value parsed, checked and pseudonymised), so
/// the bench can set the one against the other.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct IngestTimes {
    pub read: f64,
    pub clean: f64,
    /// CPU seconds of cleaning, over all the threads that cleaned columns.
    #[serde(default)]
    pub clean_cpu: f64,
}

/// One source file to read: which pipeline and source claim it.
#[derive(Debug, Clone)]
pub struct Claim<'p> {
    pub pipeline: &'p Pipeline,
    pub source: &'p Source,
    pub source_index: usize,
    pub file: String,
}

/// Inbox files matched to the partners' sources.
#[derive(Debug, Default)]
pub struct Claims<'p> {
    /// Partner id -> the files it claims, in path order.
    pub by_partner: BTreeMap<String, Vec<Claim<'p>>>,
    /// Inbox files no pipeline claims.
    pub unclaimed: Vec<String>,
    /// Files several partners claim, and inbox entries that must not be
    /// read (links, special files, unreadable files: see [`crate::inbox`]):
    /// not read, reported for each partner whose glob matches them (with no
    /// partner when none does).
    pub conflicts: Vec<FileReport>,
}

/// A partner glob. `*` and `?` stop at `/` (only `**` crosses folders), so
/// `partner/*.csv` never reaches into `partner/old/`.
pub fn glob_matcher(pattern: &str) -> std::result::Result<globset::GlobMatcher, globset::Error> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

/// Match inbox files to pipeline sources. A file claimed by two partners is
/// an error for that file; a file claimed by none is listed.
pub fn claim<'p>(plan: &'p Plan, inbox: &crate::inbox::Inbox) -> Claims<'p> {
    let files = &inbox.files;
    let mut out = Claims::default();
    let matchers: Vec<(&Pipeline, usize, &Source, globset::GlobMatcher)> = plan
        .pipelines
        .iter()
        .flat_map(|(_, p)| p.sources.iter().enumerate().map(move |(i, s)| (p, i, s)))
        .map(|(p, i, s)| (p, i, s, glob_matcher(&s.files).expect("validated with the plan")))
        .collect();
    for u in &inbox.unusable {
        let mut partners: Vec<(&str, &str)> = matchers
            .iter()
            .filter(|m| m.3.is_match(&u.path))
            .map(|m| (m.0.partner_id.as_str(), m.2.name.as_str()))
            .collect();
        partners.dedup_by_key(|(p, _)| *p);
        if partners.is_empty() {
            partners.push(("", ""));
        }
        for (p, source) in partners {
            out.conflicts
                .push(FileReport::failed(p, source, &u.path, u.why.clone()));
        }
    }
    for f in files {
        let hits: Vec<Claim<'p>> = matchers
            .iter()
            .filter(|m| m.3.is_match(f))
            .map(|&(pipeline, source_index, source, _)| Claim {
                pipeline,
                source,
                source_index,
                file: f.clone(),
            })
            .collect();
        let partners: HashSet<&str> = hits.iter().map(|c| c.pipeline.partner_id.as_str()).collect();
        match partners.len() {
            0 => out.unclaimed.push(f.clone()),
            1 => {
                let partner = hits[0].pipeline.partner_id.clone();
                out.by_partner.entry(partner).or_default().extend(hits);
            }
            _ => {
                let mut names: Vec<_> = partners.into_iter().collect();
                names.sort();
                let why = format!(
                    "claimed by several partners ({}); narrow their `files` globs",
                    names.join(", ")
                );
                for p in &names {
                    out.conflicts.push(FileReport::failed(p, "", f, why.clone()));
                }
            }
        }
    }
    out
}

/// Ingest one partner's claimed files (in path order). `restricted` is the
/// (owner-only) folder for staged rows and quarantine; the partner writes
/// only below `staged/<partner>` and `quarantine/<partner>` in it, so an
/// unchanged partner's folders can be carried to the next run as they are.
/// A source no file matches is reported as a missing export.
pub fn ingest_partner(
    plan: &Plan,
    pipeline: &Pipeline,
    claims: &[Claim<'_>],
    pseudo: &Pseudonymizer,
    today: NaiveDate,
    restricted: &Path,
) -> Result<PartnerOutput> {
    let partner = pipeline.partner_id.as_str();
    let staged_dir = restricted_dir(&restricted_dir(&restricted.join("staged"))?.join(partner))?;
    let quarantine_root = restricted_dir(&restricted.join("quarantine"))?;
    let quarantine_dir = restricted_dir(&quarantine_root.join(partner))?;
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

    let mut names = FileNames::new(partner, claims);
    for c in claims {
        let path = plan.inbox.join(&c.file);
        let t_read = std::time::Instant::now();
        let raw = extract::read(&path, c.source);
        times.read += t_read.elapsed().as_secs_f64();
        // The name every published file, table and log line uses for this
        // file: its own, or `<partner>/file-<n>` when it holds a name or
        // phone of its own records (decided before anything names it).
        let file = match &raw {
            Ok(t) => names.published(&c.file, &identifier_words(t, c, plan)),
            Err(_) => names.published(&c.file, &Default::default()),
        };
        let file = file.as_str();
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

        let hashes: Vec<[u8; 16]> = (0..raw.len())
            .map(|r| pseudo.row_hash(raw.columns.iter().map(|col| col[r].as_str())))
            .collect();
        let seen_here = seen.entry(c.source_index).or_default();
        let live: Vec<usize> = (0..raw.len()).filter(|&r| seen_here.insert(hashes[r])).collect();
        report.duplicates = raw.len() - live.len();

        stage_raw(&raw, &hashes, &staged_dir, c)?;

        let style = DateStyle {
            order: c.pipeline.date_order,
            excel_system: c.source.excel_date_system,
        };
        let mut file_quarantine: BTreeMap<usize, Vec<(String, Issue)>> = BTreeMap::new();
        for (table, feed) in &c.source.tables {
            let ctx = FeedContext {
                partner_id: partner,
                source_file: file,
                schema: plan.model.schema(table),
                feed,
                reference: &plan.model.reference,
                style,
                pseudo,
                today,
            };
            let (t_clean, cpu_clean) = (std::time::Instant::now(), crate::metrics::process_cpu_seconds());
            let out = clean_feed(&raw, &live, &hashes, &ctx);
            times.clean += t_clean.elapsed().as_secs_f64();
            times.clean_cpu += crate::metrics::process_cpu_seconds() - cpu_clean;
            let out = match out {
                Ok(o) => o,
                Err(m) => {
                    let msg = format!(
                        "table `{table}`: mapped columns not found in the file: {}",
                        m.missing.join(", ")
                    );
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
            if count.duplicates + count.no_record + count.quarantined + count.kept != count.rows_read {
                return Err(Error::Internal(format!(
                    "row accounting broken for {} table {table}: read {} != kept {} + quarantined {} + duplicates {} + no record {}",
                    file, count.rows_read, count.kept, count.quarantined, count.duplicates, count.no_record
                )));
            }
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
        quarantine.add(partner, &c.file, &raw, &file_quarantine, &quarantine_dir)?;
        reports.push(report);
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
    quarantine.finish(&quarantine_dir)?;
    names.write(&staged_dir)?;
    // Plaintext identifiers for linkage: restricted, one file per table.
    let linkage_dir = restricted_dir(&restricted_dir(&restricted.join("linkage"))?.join(partner))?;
    for (table, parts) in plain_frames {
        write_parquet(
            &mut concat_frames(parts)?,
            &linkage_dir.join(format!("{table}.parquet")),
        )?;
    }
    Ok(PartnerOutput {
        partner_id: partner.to_string(),
        tables,
        issues: issue_rows.finish()?,
        scores: score_rows.finish()?,
        unknown_places: place_rows.finish(&quarantine_dir)?,
        files: reports,
        times,
        window,
    })
}

/// The file that maps published names back to real ones, per partner in
/// the restricted staging area (carried over with it).
pub const FILE_NAMES: &str = "file_names.csv";

/// The names a partner's files are published under. A file whose name
/// holds a name or phone found in its own records (`Rahima Khatun
/// register.csv`), or a number shaped like a mobile, is published as
/// `<partner>/file-<n>.<ext>`, `n` its place among the partner's files in
/// path order; the real name stays in the restricted area.
struct FileNames {
    partner: String,
    /// Distinct claimed files, in path order.
    files: Vec<String>,
    decided: BTreeMap<String, String>,
}

impl FileNames {
    fn new(partner: &str, claims: &[Claim<'_>]) -> Self {
        let mut files: Vec<String> = claims.iter().map(|c| c.file.clone()).collect();
        files.sort();
        files.dedup();
        FileNames {
            partner: partner.to_string(),
            files,
            decided: BTreeMap::new(),
        }
    }

    /// The published name of `file`, decided once (a workbook read for two
    /// sources keeps the name its first read gave it).
    fn published(&mut self, file: &str, ids: &crate::privacy::IdentifierWords) -> String {
        if let Some(name) = self.decided.get(file) {
            return name.clone();
        }
        let name = if ids.in_file_name(file) {
            let n = self.files.iter().position(|f| f == file).unwrap_or(0) + 1;
            let ext = Path::new(file)
                .extension()
                .and_then(|e| e.to_str())
                .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
                .map(|e| format!(".{}", e.to_ascii_lowercase()))
                .unwrap_or_default();
            format!("{}/file-{n}{ext}", self.partner)
        } else {
            file.to_string()
        };
        self.decided.insert(file.to_string(), name.clone());
        name
    }

    /// Write the renamed files' real names to the restricted `dir`.
    fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE_NAMES);
        let io = |e: csv::Error| Error::io(PathBuf::from(&path))(e.into());
        let mut w = csv::Writer::from_path(&path).map_err(io)?;
        w.write_record(["published_as", "file"]).map_err(io)?;
        for (real, published) in self.decided.iter().filter(|(r, p)| r != p) {
            w.write_record([published, real]).map_err(io)?;
        }
        w.flush().map_err(Error::io(&path))
    }
}

/// Real name -> published name of every renamed file, read from the
/// restricted staging area `staged` (one folder per partner).
pub fn renamed_files(staged: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(partners) = std::fs::read_dir(staged) else {
        return out;
    };
    for p in partners.flatten() {
        let Ok(mut r) = csv::Reader::from_path(p.path().join(FILE_NAMES)) else {
            continue;
        };
        for rec in r.records().flatten() {
            if let (Some(published), Some(real)) = (rec.get(0), rec.get(1)) {
                out.insert(real.to_string(), published.to_string());
            }
        }
    }
    out
}

/// The names and phones of an export's records, for [`FileNames`].
fn identifier_words(raw: &RawTable, claim: &Claim<'_>, plan: &Plan) -> crate::privacy::IdentifierWords {
    use crate::config::schema::{ColumnType, Privacy};
    let mut ids = crate::privacy::IdentifierWords::default();
    for config in [&claim.pipeline.partner_id, &claim.pipeline.name, &claim.source.files] {
        ids.add_config_words(config);
    }
    for (table, feed) in &claim.source.tables {
        for spec in plan.model.schema(table).columns.iter() {
            if spec.privacy != Privacy::Direct || spec.ty == ColumnType::Address {
                continue;
            }
            let Some(i) = feed.columns.get(&spec.name).and_then(|h| raw.column_index(h)) else {
                continue;
            };
            let mut seen: foldhash::HashSet<&str> = Default::default();
            for v in raw.columns[i]
                .iter()
                .filter(|v| !v.is_empty() && seen.insert(v.as_str()))
            {
                match spec.ty {
                    ColumnType::Phone => ids.add_phone(v),
                    _ => ids.add_name(v),
                }
            }
        }
    }
    ids
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
        constants: Default::default(),
        values: Default::default(),
    };
    for c in feed.columns.values() {
        raw.headers.push(c.clone());
        raw.columns.push(Vec::new());
    }
    let ctx = FeedContext {
        partner_id: "",
        source_file: "",
        schema,
        feed: &feed,
        reference: &plan.model.reference,
        style: DateStyle {
            order: Default::default(),
            excel_system: 1900,
        },
        pseudo,
        today,
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

/// Write one file's raw rows, with lineage, to the restricted staging area.
fn stage_raw(raw: &RawTable, hashes: &[[u8; 16]], dir: &Path, c: &Claim<'_>) -> Result<()> {
    let dir = restricted_dir(dir)?;
    let mut cols: Vec<Column> = raw
        .headers
        .iter()
        .zip(&raw.columns)
        .map(|(h, v)| Column::new(h.as_str().into(), v.as_slice()))
        .collect();
    cols.push(Column::new("_source_row".into(), raw.rows.as_slice()));
    cols.push(Column::new(
        "_record_hash".into(),
        hashes.iter().map(hex::encode).collect::<Vec<_>>(),
    ));
    let mut df = DataFrame::new_infer_height(cols).map_err(Error::frame("staging rows"))?;
    let name = format!("s{}__{}.parquet", c.source_index, c.file.replace('/', "__"));
    write_parquet(&mut df, &dir.join(name))
}

/// Write a frame as Parquet (zstd).
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let f = std::fs::File::create(path).map_err(Error::io(path))?;
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)
        .map_err(Error::frame(format!("writing {}", path.display())))?;
    Ok(())
}

/// Data-quality findings, without values, for the lake's `dq_issues` table.
#[derive(Default)]
struct IssueRows {
    partner: Vec<String>,
    file: Vec<String>,
    row: Vec<i64>,
    table: Vec<String>,
    field: Vec<String>,
    rule: Vec<&'static str>,
    severity: Vec<&'static str>,
    message: Vec<String>,
}

impl IssueRows {
    fn add(&mut self, partner: &str, file: &str, table: &str, raw: &RawTable, issues: &[Issue]) {
        for i in issues {
            self.partner.push(partner.to_string());
            self.file.push(file.to_string());
            self.row.push(raw.rows[i.row_index] as i64);
            self.table.push(table.to_string());
            self.field.push(i.field.clone());
            self.rule.push(i.rule);
            self.severity.push(i.severity.as_str());
            self.message.push(rule_message(i.rule).to_string());
        }
    }

    fn finish(self) -> Result<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("source_row".into(), self.row),
            Column::new("table_name".into(), self.table),
            Column::new("field".into(), self.field),
            Column::new("rule_id".into(), self.rule),
            Column::new("severity".into(), self.severity),
            Column::new("message".into(), self.message),
        ])
        .map_err(Error::frame("building dq_issues"))
    }
}

/// The leading columns of the per-file data-quality tables: which partner,
/// file and table a row is about.
#[derive(Default)]
struct FileTableKeys {
    partner: Vec<String>,
    file: Vec<String>,
    table: Vec<String>,
}

impl FileTableKeys {
    fn push(&mut self, partner: &str, file: &str, table: &str) {
        self.partner.push(partner.to_string());
        self.file.push(file.to_string());
        self.table.push(table.to_string());
    }

    /// The key columns, then `rest`, as one frame.
    fn frame(self, rest: Vec<Column>, what: &str) -> Result<DataFrame> {
        let mut cols = vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("table_name".into(), self.table),
        ];
        cols.extend(rest);
        DataFrame::new_infer_height(cols).map_err(Error::frame(format!("building {what}")))
    }
}

/// The per-field scorecard rows, for the lake's `dq_fields` table.
#[derive(Default)]
struct ScoreRows {
    keys: FileTableKeys,
    field: Vec<String>,
    records: Vec<i64>,
    filled: Vec<i64>,
    invalid: Vec<i64>,
    inconsistent: Vec<i64>,
    duplicate: Vec<i64>,
}

impl ScoreRows {
    fn add(&mut self, partner: &str, file: &str, table: &str, scores: &[crate::clean::contract::FieldScore]) {
        for s in scores {
            self.keys.push(partner, file, table);
            self.field.push(s.field.clone());
            self.records.push(s.records as i64);
            self.filled.push(s.filled as i64);
            self.invalid.push(s.invalid as i64);
            self.inconsistent.push(s.inconsistent as i64);
            self.duplicate.push(s.duplicate as i64);
        }
    }

    fn finish(self) -> Result<DataFrame> {
        let rest = vec![
            Column::new("field".into(), self.field),
            Column::new("records".into(), self.records),
            Column::new("filled".into(), self.filled),
            Column::new("invalid".into(), self.invalid),
            Column::new("inconsistent".into(), self.inconsistent),
            Column::new("duplicate".into(), self.duplicate),
        ];
        self.keys.frame(rest, "dq_fields")
    }
}

/// Place spellings the gazetteer lacks. The lake's `dq_unknown_places`
/// (published) gets each spelling's shape and counts; the spellings
/// themselves, which may be anything a person typed into a place cell, go
/// to `unknown_places.csv` beside the partner's quarantine (restricted), for
/// its data officer.
#[derive(Default)]
struct PlaceRows {
    keys: FileTableKeys,
    field: Vec<String>,
    shape: Vec<String>,
    records: Vec<i64>,
    /// (real file name, table, field, as written, records): restricted.
    written: Vec<[String; 5]>,
}

impl PlaceRows {
    /// `file`: the published name and the real one (for the data officer).
    fn add(&mut self, partner: &str, file: (&str, &str), table: &str, places: &[crate::clean::UnknownPlace]) {
        let (file, real_file) = file;
        let mut by_shape: BTreeMap<(&str, String), usize> = BTreeMap::new();
        for p in places {
            *by_shape
                .entry((p.field.as_str(), crate::clean::shape(&p.written)))
                .or_default() += p.records;
            self.written.push([
                real_file.to_string(),
                table.to_string(),
                p.field.clone(),
                p.written.clone(),
                p.records.to_string(),
            ]);
        }
        for ((field, shape), records) in by_shape {
            self.keys.push(partner, file, table);
            self.field.push(field.to_string());
            self.shape.push(shape);
            self.records.push(records as i64);
        }
    }

    /// The published frame; the spellings are written to `restricted_dir`.
    fn finish(self, restricted_dir: &Path) -> Result<DataFrame> {
        if !self.written.is_empty() {
            let path = restricted_dir.join("unknown_places.csv");
            let io = |e: csv::Error| Error::io(PathBuf::from(&path))(e.into());
            let mut w = csv::Writer::from_path(&path).map_err(io)?;
            w.write_record(["source_file", "table_name", "field", "written", "records"])
                .map_err(io)?;
            for row in &self.written {
                w.write_record(row).map_err(io)?;
            }
            w.flush().map_err(Error::io(&path))?;
        }
        let rest = vec![
            Column::new("field".into(), self.field),
            Column::new("shape".into(), self.shape),
            Column::new("records".into(), self.records),
        ];
        self.keys.frame(rest, "dq_unknown_places")
    }
}

/// Quarantined rows, kept with their plaintext in the restricted area: a
/// CSV per partner file that its data officer can open (the export's own
/// columns plus why), and one Parquet table of them all.
#[derive(Default)]
struct QuarantineRows {
    partner: Vec<String>,
    file: Vec<String>,
    row: Vec<i64>,
    tables: Vec<String>,
    reasons: Vec<String>,
    raw_json: Vec<String>,
}

impl QuarantineRows {
    fn add(
        &mut self,
        partner: &str,
        file: &str,
        raw: &RawTable,
        rows: &BTreeMap<usize, Vec<(String, Issue)>>,
        dir: &Path,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let path = dir.join(format!("{}.quarantine.csv", file.replace('/', "__")));
        let mut w = csv::Writer::from_path(&path).map_err(|e| Error::io(&path)(e.into()))?;
        let io = |e: csv::Error| Error::io(PathBuf::from(&path))(e.into());
        let mut header = vec!["_row".to_string(), "_tables".into(), "_reasons".into()];
        header.extend(raw.headers.iter().cloned());
        w.write_record(&header).map_err(io)?;
        for (&r, errs) in rows {
            let mut tables: Vec<&str> = errs.iter().map(|(t, _)| t.as_str()).collect();
            tables.dedup();
            let reasons = errs
                .iter()
                .map(|(t, i)| format!("{t}.{}: {} ({})", i.field, rule_message(i.rule), i.rule))
                .collect::<Vec<_>>()
                .join("; ");
            let mut rec = vec![raw.rows[r].to_string(), tables.join(","), reasons.clone()];
            rec.extend(raw.columns.iter().map(|c| c[r].clone()));
            w.write_record(&rec).map_err(io)?;
            let obj: serde_json::Map<String, serde_json::Value> = raw
                .headers
                .iter()
                .zip(&raw.columns)
                .map(|(h, c)| (h.clone(), c[r].clone().into()))
                .collect();
            self.partner.push(partner.into());
            self.file.push(file.into());
            self.row.push(raw.rows[r] as i64);
            self.tables.push(tables.join(","));
            self.reasons.push(reasons);
            self.raw_json.push(serde_json::Value::Object(obj).to_string());
        }
        w.flush().map_err(Error::io(&path))
    }

    fn finish(self, dir: &Path) -> Result<()> {
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("source_row".into(), self.row),
            Column::new("tables".into(), self.tables),
            Column::new("reasons".into(), self.reasons),
            Column::new("raw_json".into(), self.raw_json),
        ])
        .map_err(Error::frame("building quarantine"))?;
        write_parquet(&mut df, &dir.join("quarantine.parquet"))
    }
}
