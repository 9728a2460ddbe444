//! The stages of a build, each a function of what the stages before it
//! made: partners (carried over or cleaned into the lake), linkage over the
//! whole lake, the warehouse, the reports. [`super::build`] runs them in
//! order under the stage clock.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;

use super::Run;
use super::carry::{Carry, carry_over};
use super::manifest::PartnerEntry;
use super::plan::Inventory;
use super::summary::{Totals, distinct_files};
use crate::error::{Error, Result};
use crate::ingest::{self, FileReport, IngestTimes};
use crate::layout::{RestrictedDir, SnapshotDir};
use crate::link::stage::{LinkSummary, Reuse};
use crate::{lake, report, warehouse};

/// What the partners stage made.
#[derive(Default)]
pub struct Partners {
    pub entries: BTreeMap<String, PartnerEntry>,
    pub recomputed: Vec<String>,
    pub reused: Vec<String>,
    pub times: IngestTimes,
}

impl Partners {
    /// Rows read over every partner's files.
    pub fn rows_read(&self) -> u64 {
        self.entries
            .values()
            .flat_map(|p| &p.files)
            .map(|f| f.rows_read as u64)
            .sum()
    }
}

/// Extract, stage and clean every partner into the lake at `lake`, or carry
/// it over from the current snapshot when nothing it depends on changed.
///
/// Carrying over is a copy, done first, in plan order. The partners left to
/// clean are independent (each writes only its own lake parts and its own
/// folders of the restricted area), so they are cleaned by up to
/// [`CLEAN_WORKERS`] threads, the largest exports first. Reading a file and
/// writing its Parquet run on one core each, so one partner at a time left
/// the second core idle for most of the stage. What the stage returns does
/// not depend on the order partners finish in.
pub fn partners(
    run: &Run<'_>,
    inv: &Inventory<'_>,
    building: &SnapshotDir,
    lake_tables: &[String],
    restricted: &RestrictedDir,
) -> Result<Partners> {
    let lake = &building.lake();
    let Run { plan, opts, layout, .. } = *run;
    let bar = crate::progress::bar(plan.pipelines.len() as u64, "partners");
    let mut carried: BTreeMap<String, PartnerEntry> = BTreeMap::new();
    for (_, pipeline) in &plan.pipelines {
        let pid = pipeline.partner_id.as_str();
        let fingerprint = &inv.fingerprints.partners[pid];
        let entry = inv
            .carry_from()
            .and_then(|m| m.partners.get(pid).map(|e| (m, e)))
            .filter(|(_, e)| &e.fingerprint == fingerprint && e.window.holds_on(opts.today()))
            .and_then(|(m, e)| {
                let current = layout.snapshot(&m.run_id);
                let from = Carry {
                    lake: current.full_lake(),
                    research_lake: current.research_lake(),
                    restricted: layout.restricted_latest(),
                };
                let to = Carry {
                    lake: lake.to_path_buf(),
                    research_lake: building.research_lake(),
                    restricted: restricted.clone(),
                };
                match carry_over(pid, lake_tables, &from, &to) {
                    Ok(()) => Some(e.clone()),
                    Err(err) => {
                        tracing::warn!(partner = pid, "cannot carry the partner over, cleaning it again: {err}");
                        None
                    }
                }
            });
        if let Some(e) = entry {
            tracing::info!(partner = pid, "unchanged since the current snapshot; carried over");
            carried.insert(pid.to_string(), e);
            bar.inc(1);
        }
    }
    let to_clean: Vec<&crate::config::pipeline::Pipeline> = plan
        .pipelines
        .iter()
        .map(|(_, p)| p)
        .filter(|p| !carried.contains_key(&p.partner_id))
        .collect();
    let cleaned = clean_partners(run, inv, &to_clean, lake, restricted, &bar)?;
    bar.finish_and_clear();
    // Assemble in plan order, whatever order the workers finished in.
    let mut out = Partners::default();
    let mut cleaned: BTreeMap<String, Cleaned> = cleaned.into_iter().collect();
    for (_, pipeline) in &plan.pipelines {
        let pid = &pipeline.partner_id;
        if let Some(e) = carried.remove(pid) {
            out.reused.push(pid.clone());
            out.entries.insert(pid.clone(), e);
        } else if let Some((e, t)) = cleaned.remove(pid) {
            out.times.read += t.read;
            out.times.clean += t.clean;
            out.times.clean_cpu += t.clean_cpu;
            out.recomputed.push(pid.clone());
            out.entries.insert(pid.clone(), e);
        }
    }
    Ok(out)
}

/// A cleaned partner's manifest entry and its read and clean times.
type Cleaned = (PartnerEntry, IngestTimes);

/// How many partners are cleaned at once, at most (fewer on a machine with
/// fewer cores). Each worker holds one partner's export and its cleaned
/// frames in memory: two workers stay below linkage's peak afterwards and
/// the memory budget; more would raise the stage's peak by a large partner
/// each.
pub const CLEAN_WORKERS: usize = 2;

/// Clean `pipelines` into the lake, up to [`CLEAN_WORKERS`] at a time, the
/// largest claimed exports first (so a large partner does not start last
/// and run alone). Once a partner fails, no further partner is started and
/// the first failure in plan order is returned.
fn clean_partners(
    run: &Run<'_>,
    inv: &Inventory<'_>,
    pipelines: &[&crate::config::pipeline::Pipeline],
    lake: &Path,
    restricted: &RestrictedDir,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<(String, Cleaned)>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let Run {
        plan,
        opts,
        pseudo,
        aliases,
        ..
    } = *run;
    let claims_of = |pid: &str| inv.claims.by_partner.get(pid).map(Vec::as_slice).unwrap_or(&[]);
    let bytes = |pid: &str| -> u64 {
        claims_of(pid)
            .iter()
            .filter_map(|c| std::fs::metadata(plan.inbox.join(&c.file)).ok())
            .map(|m| m.len())
            .sum()
    };
    let mut queue: Vec<(usize, u64)> = pipelines
        .iter()
        .enumerate()
        .map(|(i, p)| (i, bytes(&p.partner_id)))
        .collect();
    queue.sort_by_key(|&(i, b)| (std::cmp::Reverse(b), i));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, Result<Cleaned>)>> = Mutex::new(Vec::new());
    let clean_one = |pipeline: &crate::config::pipeline::Pipeline| -> Result<Cleaned> {
        // Each partner's cleaning is a safe point to stop at.
        super::stop::check()?;
        let pid = pipeline.partner_id.as_str();
        bar.set_message(pid.to_string());
        let mut ingested = ingest::ingest_partner(
            plan,
            pipeline,
            claims_of(pid),
            (pseudo, aliases),
            opts.today(),
            restricted,
        )?;
        ingested.write(lake)?;
        bar.inc(1);
        let entry = PartnerEntry {
            fingerprint: inv.fingerprints.partners[pid].clone(),
            files: ingested.files,
            window: ingested.window,
        };
        Ok((entry, ingested.times))
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, CLEAN_WORKERS)
        .min(queue.len());
    // The workers log inside the stage's span, as the caller does.
    let span = tracing::Span::current();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let _entered = span.enter();
                while !failed.load(Ordering::Relaxed) {
                    let Some(&(i, _)) = queue.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let r = clean_one(pipelines[i]);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, r)| r.map(|x| (pipelines[i].partner_id.clone(), x)))
        .collect()
}

/// Link survivor, case and claim records across partners. Linkage spans
/// partners, so it runs on the whole lake every time; a night reuses the
/// last night's model and weights as [`crate::link::state`] allows (a
/// forced run the model only, `--retrain` neither).
pub fn link(
    run: &Run<'_>,
    inv: &Inventory<'_>,
    snapshot: &SnapshotDir,
    restricted: &RestrictedDir,
) -> Result<LinkSummary> {
    let reuse = match (run.opts.retrain, run.opts.force) {
        (true, _) => Reuse::Nothing,
        (false, true) => Reuse::Model,
        (false, false) => Reuse::ModelAndWeights,
    };
    crate::link::stage::run(
        &snapshot.lake(),
        restricted,
        &snapshot.reports(),
        run.pseudo,
        &run.plan.linkage,
        run.run_id,
        (reuse, inv.linkage_from.as_ref()),
    )
}

/// Log what linkage found.
pub fn log_linkage(linkage: &LinkSummary) {
    tracing::info!(
        records = linkage.records,
        people = linkage.people,
        pairs = linkage.pairs_compared,
        case_records = linkage.cases.records,
        cases = linkage.cases.entities,
        claim_records = linkage.claims.records,
        claims = linkage.claims.entities,
        model = %linkage.model,
        pairs_scored = linkage.pairs_scored,
        "linked survivor records into people, case records into cases and claim records into claims"
    );
}

/// Build the snapshot's warehouse from its lake.
pub fn warehouse(run: &Run<'_>, snapshot: &SnapshotDir, lake_tables: &[String]) -> Result<warehouse::BuildMetrics> {
    let Run {
        plan,
        opts,
        project,
        layout,
        run_id,
        ..
    } = *run;
    let wh_dir = snapshot.warehouse_dir();
    std::fs::create_dir_all(&wh_dir).map_err(Error::io(&wh_dir))?;
    let lake = snapshot.lake();
    let lake_input = warehouse::LakeInput {
        dir: &lake,
        tables: lake_tables
            .iter()
            .cloned()
            .chain(lake::LINK_TABLES.map(String::from))
            .collect(),
        partners: plan
            .pipelines
            .iter()
            .map(|(_, p)| (p.partner_id.clone(), p.name.clone()))
            .collect(),
        places: plan.model.reference.district_rows(),
        blocks: plan.model.reference.block_rows(),
    };
    let history = layout.history();
    let previous = layout.current_snapshot().warehouse_db();
    let salt = run.pseudo.record_key_salt();
    let build = warehouse::BuildOptions {
        previous: Some(previous.as_path()),
        run_id,
        as_of: opts.today(),
        suppression_k: plan.suppression.k,
        history: &history,
        history_unreadable: &layout.history_unreadable(),
        history_file: &layout.restricted_building(run_id).history_file(),
        record_key_salt: &salt,
    };
    warehouse::build(&snapshot.warehouse_db(), &lake_input, project, &build)
}

/// Write the dashboard, workbook, CSV and codebook from the snapshot's warehouse.
pub fn reports(run: &Run<'_>, snapshot: &SnapshotDir, files: &[FileReport]) -> Result<usize> {
    let Run {
        plan,
        opts,
        project,
        run_id,
        ..
    } = *run;
    let totals = Totals::of(files);
    let reports = snapshot.reports();
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
        finished_at: report::ist(Utc::now()),
        files_read: distinct_files(files, false),
        files_failed: distinct_files(files, true),
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
                modified: f.exported_at.map(report::ist).unwrap_or_default(),
                exported: f.exported_at.map(report::ist_clock),
                rows_read: f.rows_read,
            })
            .collect(),
    };
    let conn = warehouse::open(&snapshot.warehouse_db())?;
    report::write_all(
        &conn,
        &reports,
        &plan.model,
        project,
        &facts,
        plan.suppression.k,
        plan.report.bengali_digits,
    )
}

/// The warehouse's last steps, once the run's ledger line (`entry`) is
/// known and before the snapshot is published: the ledger as it will read
/// once this run is published goes into the warehouse, each partner's
/// data-quality pack is written from it (the accuracy trend reads the
/// ledger), the data dictionary (column comments) goes in, the warehouse
/// being whole, and the marts are written beside it as Parquet, comments
/// and all.
pub fn finish_warehouse(
    run: &Run<'_>,
    (building, restricted): (&SnapshotDir, &RestrictedDir),
    entry: &super::ledger::LedgerEntry,
) -> Result<Vec<warehouse::StepTiming>> {
    let mut steps = warehouse::build::Steps::default();
    let conn = steps.time("run ledger", || {
        let mut history = super::ledger::read(run.layout)?;
        let mut tonight = entry.clone();
        tonight.bound();
        history.push(tonight);
        let conn = warehouse::open(&building.warehouse_db())?;
        super::ledger::load_into(&conn, &history, &building.ledger_scratch())?;
        Ok((conn, history.len() as u64))
    })?;
    steps.time("data-quality packs", || {
        packs(run, &conn, (restricted, &building.lake())).map(|()| ((), 0))
    })?;
    steps.time("column comments", || {
        warehouse::build::comment_columns(&conn, run.project, &run.plan.model.schemas).map(|_| ((), 0))
    })?;
    let marts = warehouse::marts::write(&conn, run.project, &building.marts())?;
    steps.time("research lake", || {
        warehouse::research_lake::set_up_record_keys(&conn, &run.pseudo.record_key_salt())?;
        let files = warehouse::research_lake::write(
            &conn,
            &run.plan.model.schemas,
            &building.lake(),
            &building.research_lake(),
        )?;
        Ok(((), files as u64))
    })?;
    steps.time("checkpoint research tier", || warehouse::build::checkpoint(&conn))?;
    steps.0.extend(marts);
    Ok(steps.0)
}

/// Write each partner's data-quality pack into the restricted area being
/// built, from the snapshot's whole warehouse (its run ledger loaded, for
/// the accuracy trend).
fn packs(run: &Run<'_>, conn: &duckdb::Connection, (restricted, lake): (&RestrictedDir, &Path)) -> Result<()> {
    let partners: Vec<crate::restricted::packs::PartnerInfo<'_>> = run
        .plan
        .pipelines
        .iter()
        .map(|(_, p)| {
            // Canonical table.column -> the partner's header (the first
            // source that maps it).
            let mut columns = BTreeMap::new();
            for source in &p.sources {
                for (table, feed) in &source.tables {
                    for (canonical, header) in &feed.columns {
                        columns
                            .entry(format!("{table}.{canonical}"))
                            .or_insert_with(|| header.clone());
                    }
                }
            }
            crate::restricted::packs::PartnerInfo {
                id: &p.partner_id,
                name: &p.name,
                columns,
            }
        })
        .collect();
    let packs = crate::restricted::packs::write(conn, (restricted, lake), &partners, run.run_id)?;
    tracing::info!(
        partners = packs.partners,
        findings = packs.findings,
        "data-quality packs written to the restricted area"
    );
    Ok(())
}
