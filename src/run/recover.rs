//! What a killed run leaves behind, found and settled by the next run under
//! the lock, before it does anything else: a run killed after it switched
//! `current` did publish, so its publication is finished; any other
//! unfinished run is removed and recorded as interrupted; a published run
//! whose figures never reached the history gets them added.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::ledger::{self, LedgerEntry, RunStatus};
use super::publish::swap_restricted;
use crate::error::{Error, Exit, Result};
use crate::layout::{BUILDING_PREFIX, Layout, OLD_RESTRICTED, PRUNING_PREFIX, created_at};
use crate::restricted::restricted_dir;

/// Settle whatever earlier runs left unfinished; `run_id` is the run doing it.
pub fn unfinished_runs(layout: &Layout, run_id: &str, started: DateTime<Utc>) -> Result<()> {
    let snapshots_dir = layout.snapshots();
    std::fs::create_dir_all(&snapshots_dir).map_err(Error::io(&snapshots_dir))?;
    let restricted_root = restricted_dir(&layout.restricted_root())?;
    let current = layout.current_id();
    finish_published(layout, current.as_deref(), run_id)?;
    let mut interrupted = Vec::new();
    for dir in [&snapshots_dir, &restricted_root] {
        interrupted.extend(remove_unfinished(dir)?);
    }
    interrupted.sort();
    interrupted.dedup();
    for id in interrupted {
        // Renamed into place but never made current: not a snapshot.
        let orphan = layout.snapshot(&id).0;
        if current.as_deref() != Some(id.as_str()) && orphan.is_dir() {
            tracing::warn!(snapshot = %id, "removing a snapshot that a killed run renamed into place but never published");
            std::fs::remove_dir_all(&orphan).map_err(Error::io(&orphan))?;
        }
        let mut e = LedgerEntry::new(
            &id,
            created_at(&id).unwrap_or(started),
            RunStatus::Interrupted,
            Exit::Failure as u8,
        );
        e.error = Some(format!("killed before it finished; found and removed by run {run_id}"));
        e.snapshot = layout.current_id();
        ledger::append(layout, &e)?;
    }
    // A published run killed before it added its figures to the history.
    if let Some(current) = &current {
        crate::warehouse::history::record(layout, current)?;
    }
    Ok(())
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
        if let Some(id) = name.strip_prefix(BUILDING_PREFIX) {
            tracing::warn!(folder = %path.display(), "removing what an interrupted run left unfinished");
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
            ids.push(id.to_string());
        } else if name.starts_with(PRUNING_PREFIX) || name == OLD_RESTRICTED {
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
fn finish_published(layout: &Layout, current: Option<&str>, run_id: &str) -> Result<()> {
    let Some(current) = current else {
        return Ok(());
    };
    let pending = layout.restricted_building(current);
    if pending.run_id_marker().is_file() {
        tracing::warn!(snapshot = %current, "finishing the publication of a run killed after it switched `current`");
        crate::restricted::restrict_tree(pending.path())?;
        swap_restricted(layout, &pending)?;
    }
    let published = ledger::read(layout)?
        .iter()
        .any(|e| e.run_id == current && e.status == RunStatus::Published);
    if !published {
        match LedgerEntry::of_snapshot(&layout.snapshot(current)) {
            Some(mut e) => {
                e.error = Some(format!(
                    "killed after it was published; its ledger line written by run {run_id}"
                ));
                ledger::append(layout, &e)?;
            }
            None => {
                tracing::warn!(snapshot = %current, "the current snapshot has no ledger line and no record of its run")
            }
        }
    }
    Ok(())
}
