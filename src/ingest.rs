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
use globset::Glob;
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

/// Every file below `inbox`, relative, with `/` separators, sorted; hidden files skipped.
pub fn list_inbox(inbox: &Path) -> Result<Vec<String>> {
    if !inbox.is_dir() {
        return Err(Error::MissingInbox(inbox.to_path_buf()));
    }
    let mut out = Vec::new();
    let mut stack = vec![inbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(Error::io(&dir))? {
            let entry = entry.map_err(Error::io(&dir))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(inbox) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
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
    /// Files several partners claim: not read, reported for each of them.
    pub conflicts: Vec<FileReport>,
}

/// Match inbox files to pipeline sources. A file claimed by two partners is
/// an error for that file; a file claimed by none is listed.
pub fn claim<'p>(plan: &'p Plan, files: &[String]) -> Claims<'p> {
    let mut out = Claims::default();
    let matchers: Vec<(&Pipeline, usize, &Source, globset::GlobMatcher)> = plan
        .pipelines
        .iter()
        .flat_map(|(_, p)| p.sources.iter().enumerate().map(move |(i, s)| (p, i, s)))
        .map(|(p, i, s)| {
            (
                p,
                i,
                s,
                Glob::new(&s.files).expect("validated with the plan").compile_matcher(),
            )
        })
        .collect();
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

    for c in claims {
        let path = plan.inbox.join(&c.file);
        let mut report = FileReport::new(partner, &c.source.name, &c.file);
        report.exported_at = std::fs::metadata(&path).and_then(|m| m.modified()).ok().map(Into::into);
        let t_read = std::time::Instant::now();
        let raw = extract::read(&path, c.source);
        times.read += t_read.elapsed().as_secs_f64();
        let raw = match raw {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(partner, file = %c.file, source = %c.source.name, "file not read: {e}");
                report.error = Some(e.to_string());
                reports.push(report);
                continue;
            }
        };
        for n in &raw.notes {
            tracing::warn!(partner, file = %c.file, "{n}");
        }
        report.notes = raw.notes.clone();
        report.rows_read = raw.len();
        report.blank_rows = raw.blank_rows;

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
                source_file: &c.file,
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
                    tracing::error!(partner, file = %c.file, "file not used: {msg}");
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
                    c.file, count.rows_read, count.kept, count.quarantined, count.duplicates, count.no_record
                )));
            }
            tracing::info!(
                partner, file = %c.file, table = %table, read = count.rows_read, kept = count.kept,
                quarantined = count.quarantined, duplicates = count.duplicates, no_record = count.no_record,
                warnings = count.warnings, "cleaned"
            );
            issue_rows.add(partner, &c.file, table, &raw, &out.issues);
            score_rows.add(partner, &c.file, table, &out.scores);
            place_rows.add(partner, &c.file, table, &out.unknown_places);
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
        unknown_places: place_rows.finish()?,
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

/// Place spellings the gazetteer lacks, for the lake's `dq_unknown_places`.
#[derive(Default)]
struct PlaceRows {
    keys: FileTableKeys,
    field: Vec<String>,
    written: Vec<String>,
    records: Vec<i64>,
}

impl PlaceRows {
    fn add(&mut self, partner: &str, file: &str, table: &str, places: &[crate::clean::UnknownPlace]) {
        for p in places {
            self.keys.push(partner, file, table);
            self.field.push(p.field.clone());
            self.written.push(p.written.clone());
            self.records.push(p.records as i64);
        }
    }

    fn finish(self) -> Result<DataFrame> {
        let rest = vec![
            Column::new("field".into(), self.field),
            Column::new("written".into(), self.written),
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
