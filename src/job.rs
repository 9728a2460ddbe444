//! The nightly job: ingest the inbox, write the lake, build the warehouse,
//! write the reports, and publish them as one snapshot.
//!
//! A run builds its snapshot in a hidden folder beside the published ones
//! and publishes by renaming it into place and switching the `current`
//! link in one atomic rename, so a reader never sees half a snapshot and a
//! run that dies leaves the last good one untouched.
//!
//! Runs are incremental. The input [`manifest`] fingerprints the configs
//! and every inbox file: when nothing changed since the current snapshot
//! the run is a no-op that only adds a [`ledger`] line; otherwise each
//! partner whose fingerprint is unchanged is carried over from the current
//! snapshot (its lake files and restricted folders hard-linked, not
//! recomputed) and only the others are cleaned again. The lake is laid out
//! one Parquet file per partner and table to make that possible. The
//! warehouse is always rebuilt from the whole lake, since every mart and
//! indicator (and, later, linkage) spans partners.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::ingest::{self, FileReport};
use crate::ledger::{self, LedgerCount, LedgerEntry, LedgerInput, RunStatus};
use crate::manifest::{self, InputFile, Manifest, PartnerEntry};
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
    /// Rebuild everything even when nothing changed.
    pub force: bool,
    /// Publish even when the run would publish markedly less than the
    /// current snapshot (see [`crate::config::Publish`]).
    pub accept_shrink: bool,
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
    /// The exit code the run deserved (see [`RunSummary::exit`]).
    pub exit_code: u8,
    pub snapshot: PathBuf,
    pub warehouse: PathBuf,
    pub report_html: PathBuf,
    pub report_csv: PathBuf,
    pub report_xlsx: PathBuf,
    pub codebook: PathBuf,
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
    /// Indicator figures hidden by small-cell suppression (primary, secondary).
    pub cells_suppressed: crate::suppress::Counts,
    /// Partners cleaned again, and partners carried over from the previous snapshot.
    pub recomputed_partners: Vec<String>,
    pub reused_partners: Vec<String>,
    /// Within extract+stage+clean: seconds reading files and seconds cleaning them.
    pub ingest_times: ingest::IngestTimes,
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

/// How a run ended when it did not fail.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    /// A new snapshot was built and published.
    Published(Box<RunSummary>),
    /// Nothing changed since the current snapshot: nothing was rebuilt.
    Unchanged(UnchangedRun),
}

impl RunOutcome {
    pub fn exit(&self) -> Exit {
        match self {
            RunOutcome::Published(s) => s.exit(),
            RunOutcome::Unchanged(u) => u.exit,
        }
    }

    pub fn run_id(&self) -> &str {
        match self {
            RunOutcome::Published(s) => &s.run_id,
            RunOutcome::Unchanged(u) => &u.run_id,
        }
    }
}

/// A run that found nothing to do.
#[derive(Debug, Clone)]
pub struct UnchangedRun {
    pub run_id: String,
    /// The current snapshot, kept as it is.
    pub snapshot: String,
    /// The exit code of the run that built that snapshot: a partner's
    /// unreadable file stays reported (exit 4) every night until it is fixed.
    pub exit: Exit,
    pub seconds: f64,
}

/// Run the whole job once, holding the run lock, and record it in the
/// ledger whatever happens. A run that fails removes what it half built;
/// one that was killed leaves it for the next run, which removes it under
/// the lock and records the interruption.
pub fn run(plan: &Plan, opts: RunOptions) -> Result<RunOutcome> {
    let pseudo = Pseudonymizer::load(plan.key.as_ref())?;
    let project = warehouse::Project::load()?;
    let _lock = crate::lock::RunLock::acquire(&plan.output)?;
    let started = Utc::now();
    let run_id = opts.now.format("%Y%m%dT%H%M%S%.3fZ").to_string().replace('.', "");
    let snapshots = plan.output.join("snapshots");
    std::fs::create_dir_all(&snapshots).map_err(Error::io(&snapshots))?;
    let restricted_root = restricted_dir(&plan.output.join("restricted"))?;
    let current = crate::snapshots::current_id(&plan.output);
    recover_published(&plan.output, &restricted_root, current.as_deref(), &run_id)?;
    let mut interrupted = Vec::new();
    for dir in [&snapshots, &restricted_root] {
        interrupted.extend(remove_unfinished(dir)?);
    }
    interrupted.sort();
    interrupted.dedup();
    for id in interrupted {
        // Renamed into place but never made current: not a snapshot.
        let orphan = snapshots.join(&id);
        if current.as_deref() != Some(id.as_str()) && orphan.is_dir() {
            tracing::warn!(snapshot = %id, "removing a snapshot that a killed run renamed into place but never published");
            std::fs::remove_dir_all(&orphan).map_err(Error::io(&orphan))?;
        }
        let mut e = LedgerEntry::new(
            &id,
            crate::snapshots::created_at(&id).unwrap_or(started),
            RunStatus::Interrupted,
            Exit::Failure as u8,
        );
        e.error = Some(format!("killed before it finished; found and removed by run {run_id}"));
        e.snapshot = crate::snapshots::current_id(&plan.output);
        ledger::append(&plan.output, &e)?;
    }
    // A published run killed before it added its figures to the history.
    if let Some(current) = &current {
        warehouse::record_history(&plan.output, current)?;
    }
    let building = snapshots.join(format!(".building-{run_id}"));
    let restricted_building = restricted_root.join(format!(".building-{run_id}"));
    let mut entry = LedgerEntry::new(&run_id, started, RunStatus::Failed, Exit::Failure as u8);
    let result = plan_and_build(
        plan,
        opts,
        &pseudo,
        &project,
        &run_id,
        &building,
        &restricted_building,
        &mut entry,
    );
    if let Err(e) = &result {
        for dir in [&building, &restricted_building] {
            let _ = std::fs::remove_dir_all(dir);
        }
        // The entry may already read "published" if publishing itself failed.
        entry.status = match e {
            Error::HeldBack { .. } => RunStatus::HeldBack,
            _ => RunStatus::Failed,
        };
        entry.exit_code = e.exit() as u8;
        entry.error = Some(e.to_string());
        entry.finished_at = Utc::now();
        entry.snapshot = crate::snapshots::current_id(&plan.output);
        if let Err(le) = ledger::append(&plan.output, &entry) {
            tracing::error!("could not record the failed run in the ledger: {le}");
        }
    }
    result
}

/// Remove `.building-*` folders that a killed run left in `dir` (return
/// their run ids), and what a kill left half pruned or half swapped
/// (`.pruning-*`, the restricted area's `.old` plaintext).
fn remove_unfinished(dir: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(id) = name.strip_prefix(".building-") {
            tracing::warn!(folder = %path.display(), "removing what an interrupted run left unfinished");
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
            ids.push(id.to_string());
        } else if name.starts_with(crate::snapshots::PRUNING_PREFIX) || name == OLD_RESTRICTED {
            tracing::warn!(folder = %path.display(), "removing what an interrupted run left half removed");
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
        }
    }
    Ok(ids)
}

/// A run killed after it made its snapshot current but before it swapped
/// in its restricted area or wrote its ledger line did publish: finish
/// both, so the ledger says `published` for what is current and the
/// restricted area belongs to it (rather than recording the run as
/// interrupted and removing its restricted folder).
fn recover_published(output: &Path, restricted_root: &Path, current: Option<&str>, run_id: &str) -> Result<()> {
    let Some(current) = current else {
        return Ok(());
    };
    let pending = restricted_root.join(format!(".building-{current}"));
    if pending.join(RESTRICTED_RUN_ID).is_file() {
        tracing::warn!(snapshot = %current, "finishing the publication of a run killed after it switched `current`");
        crate::privacy::restrict_tree(&pending)?;
        swap_dir(&pending, &restricted_root.join("latest"))?;
    }
    let published = ledger::read(output)?
        .iter()
        .any(|e| e.run_id == current && e.status == RunStatus::Published);
    if !published {
        let path = output.join("snapshots").join(current).join(LEDGER_ENTRY_FILE);
        match std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<LedgerEntry>(&b).ok())
        {
            Some(mut e) => {
                e.error = Some(format!(
                    "killed after it was published; its ledger line written by run {run_id}"
                ));
                ledger::append(output, &e)?;
            }
            None => {
                tracing::warn!(snapshot = %current, "the current snapshot has no ledger line and no record of its run")
            }
        }
    }
    Ok(())
}

/// The restricted area's previous contents while a swap is under way.
const OLD_RESTRICTED: &str = ".old";

/// The run's own ledger line, kept in its snapshot so that a run killed
/// between publishing and appending it can have it appended by the next.
const LEDGER_ENTRY_FILE: &str = "ledger_entry.json";

/// The file in the restricted area that names the run which wrote it.
const RESTRICTED_RUN_ID: &str = "run_id";

/// Inventory the inbox, and either find nothing to do or build and publish.
#[allow(clippy::too_many_arguments)]
fn plan_and_build(
    plan: &Plan,
    opts: RunOptions,
    pseudo: &Pseudonymizer,
    project: &warehouse::Project,
    run_id: &str,
    building: &Path,
    restricted_building: &Path,
    entry: &mut LedgerEntry,
) -> Result<RunOutcome> {
    let clock_start = std::time::Instant::now();
    let snapshots = plan.output.join("snapshots");
    let restricted_latest = plan.output.join("restricted").join("latest");
    let current = crate::snapshots::current_id(&plan.output);
    let published = current
        .as_deref()
        .and_then(|id| Manifest::read(&snapshots.join(id)))
        .filter(|m| Some(m.run_id.as_str()) == current.as_deref());
    let previous_exit = current.as_deref().and_then(|id| snapshot_exit(&snapshots.join(id)));
    // The restricted area belongs to the current snapshot only if the same run wrote both.
    let restricted_id = std::fs::read_to_string(restricted_latest.join(RESTRICTED_RUN_ID)).ok();
    let previous = published
        .clone()
        .filter(|m| restricted_id.as_deref() == Some(m.run_id.as_str()));

    let inbox = crate::inbox::list(&plan.inbox)?;
    let claims = ingest::claim(plan, &inbox);
    let mut inputs = manifest::scan_inputs(&plan.inbox, &inbox.files, previous.as_ref())?;
    for i in &mut inputs {
        i.partner_id = claims
            .by_partner
            .iter()
            .find(|(_, cs)| cs.iter().any(|c| c.file == i.path))
            .map(|(p, _)| p.clone());
    }
    let fps = manifest::fingerprints(plan, &pseudo.fingerprint(), &claims, &inputs)?;
    entry.config_fingerprint = Some(fps.config.clone());
    entry.inputs_fingerprint = Some(fps.run.clone());
    // The names the last run published files under, until this run decides.
    let names = PublishedNames::new(ingest::renamed_files(&restricted_latest.join("staged")), pseudo);
    entry.inputs = names.inputs(&inputs);

    if let (false, Some(prev), Some(exit)) = (opts.force, &previous, previous_exit)
        && prev.fingerprint == fps.run
        && prev.holds_on(opts.today())
        && same_quarter(&prev.run_id, opts.today())
    {
        let seconds = clock_start.elapsed().as_secs_f64();
        entry.status = RunStatus::Unchanged;
        entry.exit_code = exit as u8;
        entry.snapshot = Some(prev.run_id.clone());
        entry.finished_at = Utc::now();
        ledger::append(&plan.output, entry)?;
        tracing::info!(run_id = %run_id, snapshot = %prev.run_id, seconds = format!("{seconds:.3}"), "nothing changed since the current snapshot; nothing rebuilt");
        return Ok(RunOutcome::Unchanged(UnchangedRun {
            run_id: run_id.to_string(),
            snapshot: prev.run_id.clone(),
            exit,
            seconds,
        }));
    }
    let reusable = if opts.force { None } else { previous.as_ref() };
    let ctx = BuildContext {
        plan,
        opts,
        pseudo,
        project,
        run_id,
        building,
        restricted_building,
        claims: &claims,
        inputs,
        fingerprints: fps,
        previous: reusable,
        published: published.as_ref(),
    };
    build_and_publish(ctx, entry).map(|s| RunOutcome::Published(Box::new(s)))
}

/// The exit code recorded in a snapshot's `run.json`.
fn snapshot_exit(dir: &Path) -> Option<Exit> {
    let bytes = std::fs::read(dir.join("run.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Exit::from_code(u8::try_from(v.get("exit_code")?.as_u64()?).ok()?)
}

/// Everything a build needs, gathered once.
struct BuildContext<'a> {
    plan: &'a Plan,
    opts: RunOptions,
    pseudo: &'a Pseudonymizer,
    project: &'a warehouse::Project,
    run_id: &'a str,
    building: &'a Path,
    restricted_building: &'a Path,
    claims: &'a ingest::Claims<'a>,
    inputs: Vec<InputFile>,
    fingerprints: manifest::Fingerprints,
    /// The current snapshot's manifest, when its partners may be carried over.
    previous: Option<&'a Manifest>,
    /// The current snapshot's manifest: what this run must not publish
    /// markedly less than.
    published: Option<&'a Manifest>,
}

/// The lake's tables besides the canonical ones; each is a folder of
/// Parquet files, one per partner.
const LAKE_EXTRA_TABLES: [&str; 4] = ["dq_issues", "dq_fields", "dq_unknown_places", "load_files"];

fn build_and_publish(ctx: BuildContext<'_>, entry: &mut LedgerEntry) -> Result<RunSummary> {
    let BuildContext {
        plan,
        opts,
        pseudo,
        project,
        run_id,
        building,
        restricted_building,
        claims,
        inputs,
        fingerprints,
        previous,
        published,
    } = ctx;
    let started = entry.started_at;
    tracing::info!(run_id = %run_id, inbox = %plan.inbox.display(), partners = plan.pipelines.len(), "run started");
    let snapshots = plan.output.join("snapshots");
    let restricted_root = plan.output.join("restricted");
    std::fs::create_dir_all(building).map_err(Error::io(building))?;
    restricted_dir(restricted_building)?;
    let lake = building.join("lake");
    let lake_tables: Vec<String> = plan
        .model
        .schemas
        .iter()
        .map(|s| s.table.clone())
        .chain(LAKE_EXTRA_TABLES.iter().map(|t| t.to_string()))
        .collect();
    for t in &lake_tables {
        let dir = lake.join(t);
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    }

    let mut clock = StageClock::default();
    let mut partners: BTreeMap<String, PartnerEntry> = BTreeMap::new();
    let mut recomputed = Vec::new();
    let mut reused = Vec::new();
    let mut times = ingest::IngestTimes::default();
    clock.stage(
        "extract+stage+clean",
        || -> Result<u64> {
            let bar = crate::progress::bar(plan.pipelines.len() as u64, "partners");
            for (_, pipeline) in &plan.pipelines {
                let pid = pipeline.partner_id.as_str();
                bar.set_message(pid.to_string());
                let fingerprint = fingerprints.partners[pid].clone();
                let carried = previous
                    .and_then(|m| m.partners.get(pid).map(|e| (m, e)))
                    .filter(|(_, e)| e.fingerprint == fingerprint && e.window.holds_on(opts.today()))
                    .and_then(|(m, e)| {
                        let from = Carry {
                            lake: snapshots.join(&m.run_id).join("lake"),
                            restricted: restricted_root.join("latest"),
                        };
                        let to = Carry {
                            lake: lake.clone(),
                            restricted: restricted_building.to_path_buf(),
                        };
                        match carry_over(pid, &lake_tables, &from, &to) {
                            Ok(()) => Some(e.clone()),
                            Err(err) => {
                                tracing::warn!(
                                    partner = pid,
                                    "cannot carry the partner over, cleaning it again: {err}"
                                );
                                None
                            }
                        }
                    });
                let entry = match carried {
                    Some(e) => {
                        tracing::info!(partner = pid, "unchanged since the current snapshot; carried over");
                        reused.push(pid.to_string());
                        e
                    }
                    None => {
                        let cs = claims.by_partner.get(pid).map(Vec::as_slice).unwrap_or(&[]);
                        let mut out =
                            ingest::ingest_partner(plan, pipeline, cs, pseudo, opts.today(), restricted_building)?;
                        write_partner_lake(&mut out, &lake)?;
                        times.read += out.times.read;
                        times.clean += out.times.clean;
                        times.clean_cpu += out.times.clean_cpu;
                        recomputed.push(pid.to_string());
                        PartnerEntry {
                            fingerprint,
                            files: out.files,
                            window: out.window,
                        }
                    }
                };
                partners.insert(pid.to_string(), entry);
                bar.inc(1);
            }
            bar.finish_and_clear();
            Ok(partners
                .values()
                .flat_map(|p| &p.files)
                .map(|f| f.rows_read as u64)
                .sum())
        },
        |r| r.as_ref().copied().unwrap_or(0),
    )?;
    checkpoint(&opts, FaultPoint::Clean);
    // This run's names, now that each partner has decided its own.
    let file_names = PublishedNames::new(ingest::renamed_files(&restricted_building.join("staged")), pseudo);
    entry.inputs = file_names.inputs(&inputs);
    if !opts.accept_shrink {
        let reasons = held_back_reasons(published, &partners, plan.publish.max_shrink);
        if !reasons.is_empty() {
            return Err(Error::HeldBack { reasons });
        }
    }

    let mut contested = claims.conflicts.clone();
    for c in &mut contested {
        c.file = file_names.of(&c.file);
    }
    let unclaimed: Vec<String> = claims.unclaimed.iter().map(|f| file_names.of(f)).collect();
    if !contested.is_empty() {
        ingest::write_parquet(
            &mut load_files_frame(&contested)?,
            &lake.join("load_files/_contested.parquet"),
        )?;
    }
    let mut files: Vec<FileReport> = partners.values().flat_map(|p| p.files.iter().cloned()).collect();
    files.append(&mut contested);
    checkpoint(&opts, FaultPoint::Lake);

    // Linkage spans partners, so it runs on the whole lake every time.
    let linkage = clock.stage(
        "link",
        || crate::link::stage::run(&lake, restricted_building, pseudo, &plan.linkage),
        |r| r.as_ref().map(|s| s.records as u64).unwrap_or(0),
    )?;
    tracing::info!(
        records = linkage.records,
        people = linkage.people,
        pairs = linkage.pairs_compared,
        case_records = linkage.cases.records,
        cases = linkage.cases.entities,
        claim_records = linkage.claims.records,
        claims = linkage.claims.entities,
        "linked survivor records into people, case records into cases and claim records into claims"
    );

    let wh_dir = building.join("warehouse");
    std::fs::create_dir_all(&wh_dir).map_err(Error::io(&wh_dir))?;
    let db = wh_dir.join("tafteesh.duckdb");
    let lake_input = warehouse::LakeInput {
        dir: &lake,
        tables: lake_tables
            .iter()
            .cloned()
            .chain(["link_survivors", "link_cases", "link_claims"].map(String::from))
            .collect(),
        partners: plan
            .pipelines
            .iter()
            .map(|(_, p)| (p.partner_id.clone(), p.name.clone()))
            .collect(),
    };
    let metrics = clock.stage(
        "warehouse",
        || -> Result<warehouse::BuildMetrics> {
            let history = warehouse::history_dir(&plan.output);
            let build = warehouse::BuildOptions {
                run_id,
                as_of: opts.today(),
                suppression_k: plan.suppression.k,
                history: &history,
                history_file: &wh_dir.join(warehouse::HISTORY_FILE),
            };
            warehouse::build(&db, &lake_input, project, &build)
        },
        |r| r.as_ref().map(|m| m.indicator_rows as u64).unwrap_or(0),
    )?;

    checkpoint(&opts, FaultPoint::Warehouse);
    let totals = Totals::of(&files);
    let reports = building.join("reports");
    std::fs::create_dir_all(&reports).map_err(Error::io(&reports))?;
    let names: BTreeMap<&str, &str> = plan
        .pipelines
        .iter()
        .map(|(_, p)| (p.partner_id.as_str(), p.name.as_str()))
        .collect();
    let facts = report::RunFacts {
        run_id: run_id.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: opts.today().to_string(),
        finished_at: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        files_read: distinct_files(&files, false),
        files_failed: distinct_files(&files, true),
        rows_read: totals.rows_read,
        rows_kept: totals.table_rows.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        rows_quarantined: totals.quarantined,
        duplicates_removed: totals.duplicates,
        exports: files
            .iter()
            .map(|f| report::ExportFact {
                partner: names
                    .get(f.partner_id.as_str())
                    .unwrap_or(&f.partner_id.as_str())
                    .to_string(),
                file: f.file.clone(),
                modified: f
                    .exported_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                rows_read: f.rows_read,
            })
            .collect(),
    };
    clock.stage(
        "report",
        || -> Result<usize> {
            let conn = warehouse::open(&db)?;
            report::write_all(&conn, &reports, &plan.model, project, &facts, plan.suppression.k)
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
        exit_code: 0,
        warehouse: current.join("warehouse/tafteesh.duckdb"),
        report_html: current.join("reports").join(report::DASHBOARD),
        report_csv: current.join("reports").join(report::CSV),
        report_xlsx: current.join("reports").join(report::WORKBOOK),
        codebook: current.join("reports").join(report::CODEBOOK),
        quarantine: restricted_root.join("latest/quarantine"),
        snapshot: final_dir.clone(),
        rows_read: totals.rows_read,
        duplicates_removed: totals.duplicates,
        rows_quarantined: totals.quarantined,
        field_warnings: totals.warnings,
        files,
        unclaimed_files: unclaimed.clone(),
        table_rows: totals.table_rows,
        models_built: metrics.models,
        model_tests_passed: metrics.tests,
        indicator_rows: metrics.indicator_rows,
        cells_suppressed: metrics.suppressed,
        recomputed_partners: recomputed,
        reused_partners: reused,
        ingest_times: times,
        stages: clock.stages,
    };
    summary.exit_code = summary.exit() as u8;

    // The ledger as it will read once this run is published, in the warehouse too.
    fill_entry(entry, &summary);
    entry.status = RunStatus::Published;
    entry.snapshot = Some(run_id.to_string());
    entry.finished_at = Utc::now();
    let mut history = ledger::read(&plan.output)?;
    history.push(entry.clone());
    {
        let conn = warehouse::open(&db)?;
        ledger::load_into(&conn, &history, &wh_dir.join(".run_ledger.jsonl"))?;
        conn.execute_batch("checkpoint")
            .map_err(Error::warehouse("checkpoint"))?;
    }

    let manifest = Manifest {
        run_id: run_id.to_string(),
        tafteesh_version: env!("CARGO_PKG_VERSION").to_string(),
        model_fingerprint: fingerprints.model.clone(),
        config_fingerprint: fingerprints.config.clone(),
        fingerprint: fingerprints.run.clone(),
        inputs: inputs
            .into_iter()
            .map(|i| InputFile {
                path: file_names.of(&i.path),
                ..i
            })
            .collect(),
        partners,
        unclaimed,
    };
    manifest.write(building)?;
    let run_json = building.join("run.json");
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&run_json, json).map_err(Error::io(&run_json))?;
    let ledger_line = building.join(LEDGER_ENTRY_FILE);
    let json = serde_json::to_vec_pretty(&*entry).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&ledger_line, json).map_err(Error::io(&ledger_line))?;
    let marker = restricted_building.join(RESTRICTED_RUN_ID);
    std::fs::write(&marker, run_id).map_err(Error::io(&marker))?;
    crate::privacy::restrict_tree(restricted_building)?;
    sync_tree(building)?;

    checkpoint(&opts, FaultPoint::Manifest);
    std::fs::rename(building, &final_dir).map_err(Error::io(&final_dir))?;
    checkpoint(&opts, FaultPoint::SnapshotRenamed);
    crate::snapshots::make_current(&plan.output, run_id)?;
    checkpoint(&opts, FaultPoint::CurrentSwitched);
    warehouse::record_history(&plan.output, run_id)?;
    swap_dir(restricted_building, &restricted_root.join("latest"))?;
    ledger::append(&plan.output, entry)?;
    crate::snapshots::prune(&plan.output, plan.retention, opts.now)?;
    summary.finished_at = Utc::now().to_rfc3339();
    tracing::info!(run_id = %run_id, snapshot = %final_dir.display(), "run published");
    Ok(summary)
}

/// Why this run must not replace the current snapshot: a file that ends
/// mid-row, no rows at all where the current snapshot has some, a partner
/// (still configured) whose rows of a table vanish, or fall by more than
/// `max_shrink` from at least 10. Empty when it may publish.
fn held_back_reasons(
    published: Option<&Manifest>,
    partners: &BTreeMap<String, PartnerEntry>,
    max_shrink: f64,
) -> Vec<String> {
    let mut reasons: Vec<String> = partners
        .values()
        .flat_map(|p| &p.files)
        .filter(|f| f.cut_short)
        .map(|f| {
            format!(
                "{} ({}) ends in the middle of a row: it looks cut short, like an upload that did not finish",
                f.file, f.partner_id
            )
        })
        .collect();
    let Some(current) = published else {
        return reasons;
    };
    let kept = |files: &[FileReport]| {
        let mut by_table: BTreeMap<String, usize> = BTreeMap::new();
        for t in files.iter().flat_map(|f| &f.tables) {
            *by_table.entry(t.table.clone()).or_default() += t.kept;
        }
        by_table
    };
    let rows = |p: &PartnerEntry| kept(&p.files).values().sum::<usize>();
    let before: usize = current.partners.values().map(rows).sum();
    let after: usize = partners.values().map(rows).sum();
    if after == 0 && before > 0 {
        reasons.push(format!(
            "no rows at all, where the current snapshot has {before}: is the inbox empty, or a share not mounted?"
        ));
        return reasons;
    }
    for (pid, now) in partners {
        let Some(then) = current.partners.get(pid) else {
            continue;
        };
        let now = kept(&now.files);
        for (table, b) in kept(&then.files) {
            let a = now.get(&table).copied().unwrap_or(0);
            if b > 0 && a == 0 {
                reasons.push(format!(
                    "partner `{pid}`: no `{table}` rows, where the current snapshot has {b}"
                ));
            } else if b >= 10 && (a as f64) < b as f64 * (1.0 - max_shrink) {
                reasons.push(format!(
                    "partner `{pid}`: `{table}` rows fell from {b} to {a} (-{:.0}%), more than `[publish] max_shrink` = {max_shrink}",
                    100.0 * (b - a) as f64 / b as f64
                ));
            }
        }
    }
    reasons
}

/// The names inbox files are published under (in the manifest, the ledger,
/// the run summary): the partner's choice for a file it read (see
/// `ingest::FileNames`), else the file's own name unless it holds a number
/// shaped like a mobile phone, which becomes `file-<keyed hash>`.
struct PublishedNames<'a> {
    renamed: BTreeMap<String, String>,
    pseudo: &'a Pseudonymizer,
}

impl<'a> PublishedNames<'a> {
    fn new(renamed: BTreeMap<String, String>, pseudo: &'a Pseudonymizer) -> Self {
        PublishedNames { renamed, pseudo }
    }

    fn of(&self, file: &str) -> String {
        if let Some(name) = self.renamed.get(file) {
            return name.clone();
        }
        if crate::privacy::IdentifierWords::default().in_file_name(file) {
            return format!("file-{}", &self.pseudo.token("file-name", file)[..12]);
        }
        file.to_string()
    }

    fn inputs(&self, inputs: &[InputFile]) -> Vec<LedgerInput> {
        inputs
            .iter()
            .map(|i| LedgerInput {
                path: self.of(&i.path),
                partner_id: i.partner_id.clone(),
                bytes: i.bytes,
                modified: i.modified,
                sha256: i.sha256.clone(),
            })
            .collect()
    }
}

/// Whether the snapshot `id` was built in the same quarter as `today`.
/// Financial-year quarters are calendar quarters (April-June is Q1), and
/// the indicators' current period ends at the run's date: a new quarter
/// brings a new period to measure even when no export changed.
fn same_quarter(id: &str, today: NaiveDate) -> bool {
    let quarter = |d: NaiveDate| (d.year(), (d.month() - 1) / 3);
    crate::snapshots::created_at(id).is_some_and(|t| quarter(t.date_naive()) == quarter(today))
}

/// Flush every file of a finished snapshot to disk before it is published,
/// so a power cut after the switch cannot leave `current` naming files the
/// disk never received.
fn sync_tree(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = e.map_err(Error::io(dir))?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(Error::io(&path))?;
        }
    }
    Ok(())
}

/// Counts over every file report of a run.
struct Totals {
    rows_read: usize,
    duplicates: usize,
    quarantined: usize,
    warnings: usize,
    /// Canonical table -> rows kept in the lake.
    table_rows: BTreeMap<String, usize>,
}

impl Totals {
    fn of(files: &[FileReport]) -> Totals {
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
fn fill_entry(entry: &mut LedgerEntry, s: &RunSummary) {
    entry.exit_code = s.exit_code;
    entry.rows_read = s.rows_read;
    entry.rows_kept = s.table_rows.values().sum();
    entry.rows_quarantined = s.rows_quarantined;
    entry.duplicates_removed = s.duplicates_removed;
    entry.stages = s.stages.clone();
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

/// Where a partner's lake parts and restricted folders live.
struct Carry {
    lake: PathBuf,
    restricted: PathBuf,
}

/// Carry an unchanged partner's outputs from the current snapshot into the
/// one being built, as hard links (snapshots never modify a file in place,
/// so sharing them is safe and costs no space). Falls back to copying.
fn carry_over(pid: &str, lake_tables: &[String], from: &Carry, to: &Carry) -> Result<()> {
    let file = format!("{pid}.parquet");
    for t in lake_tables {
        link_or_copy(&from.lake.join(t).join(&file), &to.lake.join(t).join(&file))?;
    }
    for area in ["staged", "quarantine", "linkage"] {
        let src = from.restricted.join(area).join(pid);
        let dest = restricted_dir(&to.restricted.join(area))?.join(pid);
        link_tree(&src, &dest)?;
    }
    Ok(())
}

fn link_or_copy(src: &Path, dest: &Path) -> Result<()> {
    if std::fs::hard_link(src, dest).is_err() {
        std::fs::copy(src, dest).map_err(Error::io(src))?;
    }
    Ok(())
}

fn link_tree(src: &Path, dest: &Path) -> Result<()> {
    restricted_dir(dest)?;
    for e in std::fs::read_dir(src).map_err(Error::io(src))? {
        let path = e.map_err(Error::io(src))?.path();
        let target = dest.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            link_tree(&path, &target)?;
        } else {
            link_or_copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Write one partner's lake parts: every canonical table, its data-quality
/// findings and its per-file accounting.
fn write_partner_lake(out: &mut ingest::PartnerOutput, lake: &Path) -> Result<()> {
    let file = format!("{}.parquet", out.partner_id);
    for (name, df) in out.tables.iter_mut() {
        ingest::write_parquet(df, &lake.join(name).join(&file))?;
    }
    ingest::write_parquet(&mut out.issues, &lake.join("dq_issues").join(&file))?;
    ingest::write_parquet(&mut out.scores, &lake.join("dq_fields").join(&file))?;
    ingest::write_parquet(&mut out.unknown_places, &lake.join("dq_unknown_places").join(&file))?;
    ingest::write_parquet(&mut load_files_frame(&out.files)?, &lake.join("load_files").join(&file))?;
    // The frames are written: free them before the next partner is read.
    out.tables.clear();
    Ok(())
}

/// One row per file and table; a file that fed no table gets one row of zeros.
fn load_files_frame(files: &[FileReport]) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let none = crate::ingest::TableCount::default();
    let rows: Vec<(&FileReport, &crate::ingest::TableCount)> = files
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
    DataFrame::new_infer_height(vec![
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
        col_i(
            "clean_records",
            rows.iter().map(|(_, t)| t.clean_records as i64).collect(),
        ),
        Column::new(
            "newest_date".into(),
            rows.iter()
                .map(|(_, t)| t.newest_date.map(crate::clean::days_since_epoch))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .map_err(Error::frame("building load_files"))?,
        Column::new(
            "exported_at".into(),
            rows.iter()
                .map(|(f, _)| f.exported_at.map(|t| t.timestamp_micros()))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map_err(Error::frame("building load_files"))?,
    ])
    .map_err(Error::frame("building load_files"))
}

/// Replace `dest` by `src` (the restricted area keeps one copy only, to keep
/// as little plaintext as possible).
fn swap_dir(src: &Path, dest: &Path) -> Result<()> {
    let old = dest.with_file_name(OLD_RESTRICTED);
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(Error::io(dest))?;
    }
    std::fs::rename(src, dest).map_err(Error::io(dest))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_quarter_is_a_change() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(same_quarter("20240401T010000000Z", d("2024-06-30")));
        assert!(!same_quarter("20240630T230000000Z", d("2024-07-01")));
        assert!(!same_quarter("20240101T000000000Z", d("2025-01-01")));
        assert!(!same_quarter("not-a-run-id", d("2024-06-30")));
    }
}
