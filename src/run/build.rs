//! A build, as the list of its stages: partners into the lake, the shrink
//! guard, linkage, the warehouse, the reports; then the summary, and the
//! publication. Each stage is timed (the stage clock, kept in the ledger)
//! and followed by a fault point, so the crash tests can kill the run
//! between any two of them.

use chrono::Utc;

use super::guard::held_back_reasons;
use super::ledger::{LedgerEntry, RunStatus};
use super::manifest::Manifest;
use super::plan::Inventory;
use super::summary::{RunSummary, Totals, fill_entry};
use super::{FaultPoint, Run, publish, safe_point, stages};
use crate::error::{Error, Result};
use crate::ingest::FileReport;
use crate::layout::{RestrictedDir, SnapshotDir};
use crate::metrics::StageClock;
use crate::restricted::restricted_dir;
use crate::{lake, report, restricted};

pub fn build_and_publish(run: &Run<'_>, inv: Box<Inventory<'_>>, entry: &mut LedgerEntry) -> Result<RunSummary> {
    let Run {
        plan,
        opts,
        layout,
        run_id,
        aliases,
        ..
    } = *run;
    let started = entry.started_at;
    tracing::info!(run_id = %run_id, inbox = %plan.inbox.display(), partners = plan.pipelines.len(), "run started");
    let building = layout.building(run_id);
    let restricted_building = layout.restricted_building(run_id);
    std::fs::create_dir_all(building.path()).map_err(Error::io(building.path()))?;
    // The research tier is the job's user's alone while it is built; the
    // publish opens it to its readers (`[access]`). The snapshot's own lake
    // stays the job's user's.
    restricted_dir(&building.research())?;
    restricted_dir(&building.lake())?;
    restricted_dir(restricted_building.path())?;
    // The real names behind the aliases, for the data officer.
    restricted::write_file_names(&restricted_building, aliases)?;
    let lake = building.lake();
    let lake_tables = lake::partner_tables(&plan.model);
    lake::create(&lake, &lake_tables)?;
    let mut clock = StageClock::default();

    let partners = clock.stage(
        "extract+stage+clean",
        || stages::partners(run, &inv, &building, &lake_tables, &restricted_building),
        |r| r.as_ref().map(|p| p.rows_read()).unwrap_or(0),
    )?;
    safe_point(&opts, FaultPoint::Clean)?;

    if !opts.accept_shrink {
        let reasons = held_back_reasons(inv.published.as_ref(), &partners.entries, plan.publish.max_shrink);
        if !reasons.is_empty() {
            return Err(Error::HeldBack { reasons });
        }
    }
    let mut contested = inv.claims.conflicts.clone();
    for c in &mut contested {
        c.file = aliases.of(&c.file);
    }
    let unclaimed: Vec<String> = inv.claims.unclaimed.iter().map(|f| aliases.of(f)).collect();
    if !contested.is_empty() {
        lake::write_parquet(&mut lake::load_files_frame(&contested)?, &lake::contested(&lake))?;
    }
    let mut files: Vec<FileReport> = partners
        .entries
        .values()
        .flat_map(|p| p.files.iter().cloned())
        .collect();
    files.append(&mut contested);
    safe_point(&opts, FaultPoint::Lake)?;

    let linkage = clock.stage(
        "link",
        || stages::link(run, &inv, &building, &restricted_building),
        |r| r.as_ref().map(|s| s.records as u64).unwrap_or(0),
    )?;
    stages::log_linkage(&linkage);

    let metrics = clock.stage(
        "warehouse",
        || stages::warehouse(run, &building, &lake_tables),
        |r| r.as_ref().map(|m| m.indicator_rows as u64).unwrap_or(0),
    )?;
    safe_point(&opts, FaultPoint::Warehouse)?;

    clock.stage(
        "report",
        || stages::reports(run, &building, &files),
        |r| r.as_ref().map(|n| *n as u64).unwrap_or(0),
    )?;
    safe_point(&opts, FaultPoint::Report)?;

    let totals = Totals::of(&files);
    let current = layout.current_snapshot();
    let reports = current.reports();
    let mut summary = RunSummary {
        run_id: run_id.to_string(),
        started_at: started.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        tafteesh_version: env!("CARGO_PKG_VERSION").to_string(),
        exit_code: 0,
        warehouse: current.warehouse_db(),
        report_html: reports.join(report::DASHBOARD),
        report_csv: reports.join(report::CSV),
        report_xlsx: reports.join(report::WORKBOOK),
        codebook: reports.join(report::CODEBOOK),
        quarantine: layout.restricted_latest().quarantine(),
        snapshot: layout.snapshot(run_id).0,
        rows_read: totals.rows_read,
        duplicates_removed: totals.duplicates,
        rows_quarantined: totals.quarantined,
        field_warnings: totals.warnings,
        files_read: super::summary::distinct_files(&files, false),
        files_failed: super::summary::distinct_files(&files, true),
        files,
        unclaimed_files: unclaimed.clone(),
        table_rows: totals.table_rows,
        models_built: metrics.models,
        model_tests_passed: metrics.tests,
        indicator_rows: metrics.indicator_rows,
        cells_suppressed: metrics.suppressed,
        recomputed_partners: partners.recomputed,
        reused_partners: partners.reused,
        ingest_times: partners.times,
        stages: clock.stages,
        warehouse_steps: metrics.steps,
        linkage: Some(linkage.run()),
    };
    summary.exit_code = summary.exit() as u8;

    // The ledger as it will read once this run is published.
    fill_entry(entry, &summary);
    entry.status = RunStatus::Published;
    entry.snapshot = Some(run_id.to_string());
    entry.finished_at = Utc::now();

    let inv = *inv;
    let fingerprints = inv.fingerprints;
    let manifest = Manifest {
        run_id: run_id.to_string(),
        tafteesh_version: env!("CARGO_PKG_VERSION").to_string(),
        model_fingerprint: fingerprints.model.clone(),
        config_fingerprint: fingerprints.config.clone(),
        fingerprint: fingerprints.run.clone(),
        key_fingerprint: Some(run.pseudo.fingerprint()),
        inputs: inv.inputs,
        partners: partners.entries,
        unclaimed,
    };
    research_tier(run, (&building, &restricted_building), &mut summary, entry)?;
    publish::publish(run, &building, &restricted_building, &summary, &manifest, entry)?;
    summary.finished_at = Utc::now().to_rfc3339();
    tracing::info!(run_id = %run_id, snapshot = %summary.snapshot.display(), "run published");
    Ok(summary)
}

/// The warehouse's last steps, which need the run's ledger line: the packs,
/// the marts as Parquet and the research lake, timed as a stage of their
/// own. Its timings reach run.json and the ledger line appended, not the
/// warehouse's own `run_ledger`, loaded before them.
fn research_tier(
    run: &Run<'_>,
    dirs: (&SnapshotDir, &RestrictedDir),
    summary: &mut RunSummary,
    entry: &mut LedgerEntry,
) -> Result<()> {
    let mut late = StageClock::default();
    let steps = late.stage(
        "research tier",
        || stages::finish_warehouse(run, dirs, entry),
        |r| r.as_ref().map(|s| s.len() as u64).unwrap_or(0),
    )?;
    summary.stages.extend(late.stages);
    summary.warehouse_steps.extend(steps);
    entry.stages = summary.stages.clone();
    entry.warehouse_steps = summary.warehouse_steps.clone();
    Ok(())
}
