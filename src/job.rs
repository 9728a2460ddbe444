//! The nightly job: ingest the inbox, write the lake, build the warehouse,
//! write the reports, and publish them as one snapshot.
//!
//! A run builds its snapshot in a hidden folder beside the published ones
//! and publishes by renaming it into place and switching the `current`
//! link in one atomic rename, so a reader never sees half a snapshot and a
//! run that dies leaves the last good one untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::ingest::{self, FileReport, Ingested};
use crate::metrics::{StageClock, StageMetric};
use crate::privacy::{Pseudonymizer, restricted_dir};
use crate::{report, warehouse};

/// The clock of a run, injectable so tests are reproducible, and an
/// optional fault to inject.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub now: DateTime<Utc>,
    /// Abort the process (as a power cut would) at this point. For tests.
    pub fail_after: Option<FaultPoint>,
}

/// The boundaries where a run can be made to die, to prove that the
/// published snapshot survives a crash at any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultPoint {
    Clean,
    Lake,
    Warehouse,
    Report,
    Manifest,
    /// The new snapshot is in place but `current` still names the old one.
    SnapshotRenamed,
    /// `current` names the new snapshot; the restricted area is not yet swapped.
    CurrentSwitched,
}

impl FaultPoint {
    pub const ALL: [FaultPoint; 7] = [
        FaultPoint::Clean,
        FaultPoint::Lake,
        FaultPoint::Warehouse,
        FaultPoint::Report,
        FaultPoint::Manifest,
        FaultPoint::SnapshotRenamed,
        FaultPoint::CurrentSwitched,
    ];
}

/// Die here if the options say so: no clean-up, no unwinding, like `kill -9`.
fn checkpoint(opts: &RunOptions, here: FaultPoint) {
    if opts.fail_after == Some(here) {
        tracing::error!(point = ?here, "injected fault: aborting");
        std::process::abort();
    }
}

impl RunOptions {
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }
}

/// What a run did, printed at the end and saved as `run.json` in the snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub tafteesh_version: String,
    pub snapshot: PathBuf,
    pub warehouse: PathBuf,
    pub report_html: PathBuf,
    pub report_csv: PathBuf,
    pub quarantine: PathBuf,
    pub files: Vec<FileReport>,
    pub unclaimed_files: Vec<String>,
    pub rows_read: usize,
    pub duplicates_removed: usize,
    pub rows_quarantined: usize,
    pub field_warnings: usize,
    /// Canonical table -> rows in the lake.
    pub table_rows: BTreeMap<String, usize>,
    pub models_built: usize,
    pub model_tests_passed: usize,
    pub indicator_rows: usize,
    pub stages: Vec<StageMetric>,
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

    /// Distinct input files (a workbook read for two sheets counts once) that could not be used.
    pub fn files_failed(&self) -> usize {
        distinct_files(&self.files, true)
    }

    /// Distinct input files that were used.
    pub fn files_read(&self) -> usize {
        distinct_files(&self.files, false)
    }
}

fn distinct_files(files: &[FileReport], failed: bool) -> usize {
    let mut names: Vec<&str> = files
        .iter()
        .filter(|f| f.error.is_some() == failed)
        .map(|f| f.file.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// Run the whole job once, holding the run lock. A run that fails removes
/// what it half built; one that was killed leaves it for the next run,
/// which removes it under the lock before it starts.
pub fn run(plan: &Plan, opts: RunOptions) -> Result<RunSummary> {
    let pseudo = Pseudonymizer::load(plan.key.as_ref())?;
    let project = warehouse::Project::load()?;
    let _lock = crate::lock::RunLock::acquire(&plan.output)?;
    let run_id = opts.now.format("%Y%m%dT%H%M%S%.3fZ").to_string().replace('.', "");
    let snapshots = plan.output.join("snapshots");
    std::fs::create_dir_all(&snapshots).map_err(Error::io(&snapshots))?;
    let restricted_root = restricted_dir(&plan.output.join("restricted"))?;
    for dir in [&snapshots, &restricted_root] {
        remove_unfinished(dir)?;
    }
    let building = snapshots.join(format!(".building-{run_id}"));
    let restricted_building = restricted_root.join(format!(".building-{run_id}"));
    let result = build_and_publish(plan, opts, &pseudo, &project, &run_id, &building, &restricted_building);
    if result.is_err() {
        for dir in [&building, &restricted_building] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    result
}

/// Remove `.building-*` folders that a killed run left in `dir`.
fn remove_unfinished(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".building-"))
        {
            tracing::warn!(folder = %path.display(), "removing what an interrupted run left unfinished");
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
        }
    }
    Ok(())
}

fn build_and_publish(
    plan: &Plan,
    opts: RunOptions,
    pseudo: &Pseudonymizer,
    project: &warehouse::Project,
    run_id: &str,
    building: &Path,
    restricted_building: &Path,
) -> Result<RunSummary> {
    let started = Utc::now();
    tracing::info!(run_id = %run_id, inbox = %plan.inbox.display(), partners = plan.pipelines.len(), "run started");
    let snapshots = plan.output.join("snapshots");
    let restricted_root = plan.output.join("restricted");
    std::fs::create_dir_all(building).map_err(Error::io(building))?;
    restricted_dir(restricted_building)?;

    let mut clock = StageClock::default();
    let mut ingested = clock.stage(
        "extract+stage+clean",
        || ingest::ingest(plan, pseudo, opts.today(), restricted_building),
        |r| r.as_ref().map(|i| i.rows_read() as u64).unwrap_or(0),
    )?;
    add_missing_exports(plan, &mut ingested);
    checkpoint(&opts, FaultPoint::Clean);

    let lake = building.join("lake");
    let lake_files = clock.stage(
        "lake",
        || write_lake(&mut ingested, &lake),
        |r| r.as_ref().map(|v| v.len() as u64).unwrap_or(0),
    )?;

    checkpoint(&opts, FaultPoint::Lake);
    let wh_dir = building.join("warehouse");
    std::fs::create_dir_all(&wh_dir).map_err(Error::io(&wh_dir))?;
    let db = wh_dir.join("tafteesh.duckdb");
    let lake_input = warehouse::LakeInput {
        tables: lake_files.iter().map(|(n, p)| (n.clone(), p.as_path())).collect(),
        partners: plan
            .pipelines
            .iter()
            .map(|(_, p)| (p.partner_id.clone(), p.name.clone()))
            .collect(),
    };
    let metrics = clock.stage(
        "warehouse",
        || warehouse::build(&db, &lake_input, project, run_id),
        |r| r.as_ref().map(|m| m.indicator_rows as u64).unwrap_or(0),
    )?;

    checkpoint(&opts, FaultPoint::Warehouse);
    let reports = building.join("reports");
    std::fs::create_dir_all(&reports).map_err(Error::io(&reports))?;
    let table_rows: BTreeMap<String, usize> = ingested.tables.iter().map(|(k, v)| (k.clone(), v.height())).collect();
    let facts = report::RunFacts {
        run_id: run_id.to_string(),
        finished_at: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        files_read: distinct_files(&ingested.files, false),
        files_failed: distinct_files(&ingested.files, true),
        rows_read: ingested.rows_read(),
        rows_kept: table_rows.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        rows_quarantined: ingested.quarantined(),
        duplicates_removed: ingested.duplicates(),
        exports: ingested
            .files
            .iter()
            .map(|f| (f.partner_id.clone(), f.file.clone()))
            .collect(),
    };
    let catalogue: Vec<warehouse::IndicatorMeta> = project.indicators().cloned().collect();
    clock.stage(
        "report",
        || -> Result<usize> {
            let rows = report::read_indicators(&db)?;
            report::write_csv(&rows, &reports.join("indicators.csv"))?;
            report::write_html(&rows, &catalogue, &facts, &reports.join("index.html"))?;
            Ok(rows.len())
        },
        |r| r.as_ref().map(|n| *n as u64).unwrap_or(0),
    )?;

    checkpoint(&opts, FaultPoint::Report);
    let final_dir = snapshots.join(run_id);
    let current = plan.output.join("current");
    let mut summary = RunSummary {
        run_id: run_id.to_string(),
        started_at: started.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        tafteesh_version: env!("CARGO_PKG_VERSION").to_string(),
        warehouse: current.join("warehouse/tafteesh.duckdb"),
        report_html: current.join("reports/index.html"),
        report_csv: current.join("reports/indicators.csv"),
        quarantine: restricted_root.join("latest/quarantine"),
        snapshot: final_dir.clone(),
        rows_read: ingested.rows_read(),
        duplicates_removed: ingested.duplicates(),
        rows_quarantined: ingested.quarantined(),
        field_warnings: ingested.warnings(),
        files: ingested.files,
        unclaimed_files: ingested.unclaimed,
        table_rows,
        models_built: metrics.models,
        model_tests_passed: metrics.tests,
        indicator_rows: metrics.indicator_rows,
        stages: clock.stages,
    };
    let manifest = building.join("run.json");
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&manifest, json).map_err(Error::io(&manifest))?;

    checkpoint(&opts, FaultPoint::Manifest);
    std::fs::rename(building, &final_dir).map_err(Error::io(&final_dir))?;
    checkpoint(&opts, FaultPoint::SnapshotRenamed);
    crate::snapshots::make_current(&plan.output, run_id)?;
    checkpoint(&opts, FaultPoint::CurrentSwitched);
    swap_dir(restricted_building, &restricted_root.join("latest"))?;
    crate::snapshots::prune(&plan.output, plan.retention, opts.now)?;
    summary.finished_at = Utc::now().to_rfc3339();
    tracing::info!(run_id = %run_id, snapshot = %final_dir.display(), "run published");
    Ok(summary)
}

/// A source whose glob matches no inbox file: the partner's export is missing.
fn add_missing_exports(plan: &Plan, ingested: &mut Ingested) {
    for (_, p) in &plan.pipelines {
        for s in &p.sources {
            let found = ingested
                .files
                .iter()
                .any(|f| f.partner_id == p.partner_id && f.source == s.name);
            if !found {
                tracing::error!(partner = %p.partner_id, source = %s.name, glob = %s.files, "no inbox file matches this source");
                let why = format!("no file in the inbox matches `{}`: the export is missing", s.files);
                ingested
                    .files
                    .push(FileReport::failed(&p.partner_id, &s.name, &s.files, why));
            }
        }
    }
}

/// Write the canonical tables, the data-quality findings and the per-file
/// accounting to the lake. Returns (table name, file) pairs.
fn write_lake(ingested: &mut Ingested, lake: &Path) -> Result<Vec<(String, PathBuf)>> {
    use polars::prelude::*;
    std::fs::create_dir_all(lake).map_err(Error::io(lake))?;
    let mut out = Vec::new();
    for (name, df) in ingested.tables.iter_mut() {
        let path = lake.join(format!("{name}.parquet"));
        ingest::write_parquet(df, &path)?;
        out.push((name.clone(), path));
    }
    let path = lake.join("dq_issues.parquet");
    ingest::write_parquet(&mut ingested.issues, &path)?;
    out.push(("dq_issues".into(), path));

    // One row per file and table; a file that fed no table gets one row of zeros.
    let none = crate::ingest::TableCount::default();
    let rows: Vec<(&FileReport, &crate::ingest::TableCount)> = ingested
        .files
        .iter()
        .flat_map(|f| {
            let tables: Vec<&crate::ingest::TableCount> = if f.tables.is_empty() {
                vec![&none]
            } else {
                f.tables.iter().collect()
            };
            tables.into_iter().map(move |t| (f, t))
        })
        .collect();
    let col_s = |name: &str, v: Vec<String>| Column::new(name.into(), v);
    let col_i = |name: &str, v: Vec<i64>| Column::new(name.into(), v);
    let mut df = DataFrame::new_infer_height(vec![
        col_s("partner_id", rows.iter().map(|(f, _)| f.partner_id.clone()).collect()),
        col_s("source", rows.iter().map(|(f, _)| f.source.clone()).collect()),
        col_s("source_file", rows.iter().map(|(f, _)| f.file.clone()).collect()),
        Column::new(
            "error".into(),
            rows.iter().map(|(f, _)| f.error.clone()).collect::<Vec<_>>(),
        ),
        col_s("table_name", rows.iter().map(|(_, t)| t.table.clone()).collect()),
        col_i("rows_read", rows.iter().map(|(f, _)| f.rows_read as i64).collect()),
        col_i("blank_rows", rows.iter().map(|(f, _)| f.blank_rows as i64).collect()),
        col_i("duplicates", rows.iter().map(|(f, _)| f.duplicates as i64).collect()),
        col_i("no_record", rows.iter().map(|(_, t)| t.no_record as i64).collect()),
        col_i("quarantined", rows.iter().map(|(_, t)| t.quarantined as i64).collect()),
        col_i("kept", rows.iter().map(|(_, t)| t.kept as i64).collect()),
        col_i("warnings", rows.iter().map(|(_, t)| t.warnings as i64).collect()),
    ])
    .map_err(Error::frame("building load_files"))?;
    let path = lake.join("load_files.parquet");
    ingest::write_parquet(&mut df, &path)?;
    out.push(("load_files".into(), path));
    Ok(out)
}

/// Replace `dest` by `src` (the restricted area keeps one copy only, to keep
/// as little plaintext as possible).
fn swap_dir(src: &Path, dest: &Path) -> Result<()> {
    let old = dest.with_file_name(".old");
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(Error::io(dest))?;
    }
    std::fs::rename(src, dest).map_err(Error::io(dest))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
