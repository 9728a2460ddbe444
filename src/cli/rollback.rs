//! `tafteesh rollback`: make an earlier snapshot current.

use super::say;
use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::run::ledger::{self, LedgerEntry, RunStatus};

/// Make an earlier snapshot current.
///
/// Refuses a snapshot the ledger never recorded as published (one a killed
/// run left) and one that is not whole.
///
/// Makes an earlier published snapshot current again (for example after a
/// partner sent a broken export), in one atomic switch, holding the run lock
/// so no run publishes at the same moment. The next `tafteesh run` publishes
/// a new snapshot as usual; to stay on the old one, fix or remove the bad
/// export first.
///
/// Examples:
///   tafteesh snapshots --config /srv/tafteesh
///   tafteesh rollback --config /srv/tafteesh 20261121T020000123Z
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,

    /// The snapshot to make current, as `tafteesh snapshots` lists it.
    pub snapshot: String,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    let layout = plan.layout();
    let started = chrono::Utc::now();
    let run_id = crate::layout::run_id(started);
    let _lock = crate::run::lock::RunLock::acquire_for(&layout, &run_id, started)?;
    let all = crate::run::snapshots::list(&layout)?;
    if !all.iter().any(|s| s.id == args.snapshot) {
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no snapshot `{}`; published snapshots: {}",
            args.snapshot,
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        )));
    }
    if let Err(why) = crate::run::snapshots::check_publishable(&layout, &args.snapshot) {
        return Err(Error::Usage(format!("{why}; it cannot be made current")));
    }
    let before = layout.current_id();
    crate::run::snapshots::make_current(&layout, &args.snapshot)?;
    tracing::info!(snapshot = %args.snapshot, "rolled back");
    // The ledger keeps the history: which snapshot was current, and when
    // that changed by hand. Its `error` names the snapshot it replaced.
    let mut entry = LedgerEntry::new(&run_id, started, RunStatus::RolledBack, Exit::Success as u8);
    entry.snapshot = Some(args.snapshot.clone());
    entry.error = before.map(|b| format!("rolled back from snapshot {b}"));
    ledger::append(&layout, &entry)?;
    say!("current is now snapshot {}", args.snapshot);
    Ok(Exit::Success)
}
