//! The publish protocol, in one place. A snapshot is built in a hidden
//! folder (`snapshots/.building-<id>`, see [`crate::layout`]); when it is
//! whole its files are flushed to disk, it is renamed into place, and the
//! `current` link is switched to it in one atomic rename. Only then are its
//! figures added to the history, its restricted area swapped in and its
//! ledger line appended; a run killed between any two of these steps is
//! finished or undone by the next ([`super::recover`]). Old snapshots are
//! pruned last.

use std::path::Path;

use super::ledger::{self, LedgerEntry};
use super::manifest::Manifest;
use super::summary::RunSummary;
use super::{FaultPoint, Run, checkpoint, snapshots};
use crate::config::access::{Access, Tier};
use crate::error::{Error, Result};
use crate::layout::{Layout, RestrictedDir, SnapshotDir};
use crate::warehouse;

/// Publish the built snapshot: `entry` is the run's ledger line as it
/// reads once published.
pub fn publish(
    run: &Run<'_>,
    building: &SnapshotDir,
    restricted: &RestrictedDir,
    summary: &RunSummary,
    manifest: &Manifest,
    entry: &LedgerEntry,
) -> Result<()> {
    let Run {
        plan,
        opts,
        layout,
        run_id,
        ..
    } = *run;
    manifest.write(building)?;
    write_json(&building.run_json(), summary)?;
    write_json(&building.ledger_entry(), entry)?;
    let marker = restricted.run_id_marker();
    std::fs::write(&marker, run_id).map_err(Error::io(&marker))?;
    crate::restricted::restrict_tree(restricted.path())?;
    seal_tree(building.path())?;
    open_tiers(&plan.access, building)?;

    checkpoint(&opts, FaultPoint::Manifest);
    let final_dir = layout.snapshot(run_id);
    std::fs::rename(building.path(), final_dir.path()).map_err(Error::io(final_dir.path()))?;
    checkpoint(&opts, FaultPoint::SnapshotRenamed);
    snapshots::make_current(layout, run_id)?;
    checkpoint(&opts, FaultPoint::CurrentSwitched);
    warehouse::history::record(layout, run_id)?;
    // The history holds every run's figures unsuppressed: the research tier's readers only.
    let history = layout.history_root();
    if history.is_dir() {
        plan.access.research.apply(&history).map_err(Error::io(&history))?;
    }
    close_kept_snapshots(&plan.access, layout)?;
    swap_restricted(layout, restricted)?;
    ledger::append(layout, entry)?;
    snapshots::prune(layout, plan.retention, opts.now)?;
    Ok(())
}

/// Give each tier of a snapshot its readers (see
/// [`crate::config::access`]): the folders' modes and groups, the files in
/// them read-only as sealed. The snapshot's own lake is the job's user's
/// alone. So is everything a snapshot published before the research tier
/// was minimal shares: its `research/` (the lake and the warehouse with
/// tokens and references), or, before there was a research tier, its
/// `lake/` and `warehouse/` at its top.
fn open_tiers(access: &Access, snapshot: &SnapshotDir) -> Result<()> {
    let research = if snapshot.has_minimal_research_tier() {
        &access.research
    } else {
        &Tier::OWNER
    };
    let tiers = [
        (&Tier::OWNER, snapshot.lake()),
        (&Tier::OWNER, snapshot.path().join("warehouse")),
        (research, snapshot.research()),
        (&access.reports, snapshot.reports()),
    ];
    for (tier, dir) in tiers {
        if dir.is_dir() {
            tier.apply(&dir).map_err(Error::io(&dir))?;
        }
    }
    Ok(())
}

/// Give the snapshots kept from earlier runs the tiers' readers as the
/// configuration says them now: an `[access]` changed applies to every
/// snapshot retention keeps, and one published before the research tier
/// was minimal has its microdata closed to all but the job's user.
fn close_kept_snapshots(access: &Access, layout: &Layout) -> Result<()> {
    for id in snapshots::ids(layout)? {
        open_tiers(access, &layout.snapshot(&id))?;
    }
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(path, json).map_err(Error::io(path))
}

/// Flush every file of a finished snapshot to disk before it is published,
/// so a power cut after the switch cannot leave `current` naming files the
/// disk never received; and make each file read-only. A published snapshot
/// is never changed: a researcher who opened the warehouse read-write and
/// added a table changed the published file, and the next snapshot
/// silently lacked the table. Folders stay writable, so old snapshots can
/// still be pruned. (Hard links the next run shares with this snapshot
/// share the mode, and are never written either.)
pub(crate) fn seal_tree(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = e.map_err(Error::io(dir))?.path();
        if path.is_dir() {
            seal_tree(&path)?;
        } else {
            let file = std::fs::File::open(&path).map_err(Error::io(&path))?;
            file.sync_all().map_err(Error::io(&path))?;
            let mut mode = file.metadata().map_err(Error::io(&path))?.permissions();
            if !mode.readonly() {
                mode.set_readonly(true);
                std::fs::set_permissions(&path, mode).map_err(Error::io(&path))?;
            }
        }
    }
    Ok(())
}

/// Make `src` the restricted area of the current snapshot, replacing the
/// previous one (the restricted area keeps one copy only, to keep as little
/// plaintext as possible).
pub fn swap_restricted(layout: &Layout, src: &RestrictedDir) -> Result<()> {
    let (src, dest, old) = (src.path(), layout.restricted_latest().0, layout.restricted_old());
    let dest = dest.as_path();
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(Error::io(dest))?;
    }
    std::fs::rename(src, dest).map_err(Error::io(dest))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
