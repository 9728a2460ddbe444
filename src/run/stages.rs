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
pub fn partners(
    run: &Run<'_>,
    inv: &Inventory<'_>,
    lake: &Path,
    lake_tables: &[String],
    restricted: &RestrictedDir,
) -> Result<Partners> {
    let Run {
        plan,
        opts,
        pseudo,
        layout,
        ..
    } = *run;
    let mut out = Partners::default();
    let bar = crate::progress::bar(plan.pipelines.len() as u64, "partners");
    for (_, pipeline) in &plan.pipelines {
        let pid = pipeline.partner_id.as_str();
        bar.set_message(pid.to_string());
        let fingerprint = inv.fingerprints.partners[pid].clone();
        let carried = inv
            .carry_from()
            .and_then(|m| m.partners.get(pid).map(|e| (m, e)))
            .filter(|(_, e)| e.fingerprint == fingerprint && e.window.holds_on(opts.today()))
            .and_then(|(m, e)| {
                let from = Carry {
                    lake: layout.snapshot(&m.run_id).lake(),
                    restricted: layout.restricted_latest(),
                };
                let to = Carry {
                    lake: lake.to_path_buf(),
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
        let entry = match carried {
            Some(e) => {
                tracing::info!(partner = pid, "unchanged since the current snapshot; carried over");
                out.reused.push(pid.to_string());
                e
            }
            None => {
                let cs = inv.claims.by_partner.get(pid).map(Vec::as_slice).unwrap_or(&[]);
                let mut ingested = ingest::ingest_partner(plan, pipeline, cs, pseudo, opts.today(), restricted)?;
                ingested.write(lake)?;
                out.times.read += ingested.times.read;
                out.times.clean += ingested.times.clean;
                out.times.clean_cpu += ingested.times.clean_cpu;
                out.recomputed.push(pid.to_string());
                PartnerEntry {
                    fingerprint,
                    files: ingested.files,
                    window: ingested.window,
                }
            }
        };
        out.entries.insert(pid.to_string(), entry);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
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
    };
    let history = layout.history();
    let build = warehouse::BuildOptions {
        run_id,
        as_of: opts.today(),
        suppression_k: plan.suppression.k,
        history: &history,
        history_file: &snapshot.history_file(),
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

/// Write each partner's data-quality pack into the restricted area being
/// built, from the snapshot's whole warehouse (its run ledger loaded, for
/// the accuracy trend).
pub fn packs(run: &Run<'_>, conn: &duckdb::Connection, restricted: &RestrictedDir) -> Result<()> {
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
    let packs = crate::restricted::packs::write(conn, restricted, &partners, run.run_id)?;
    tracing::info!(
        partners = packs.partners,
        findings = packs.findings,
        "data-quality packs written to the restricted area"
    );
    Ok(())
}
