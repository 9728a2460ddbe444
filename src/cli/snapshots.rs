//! `tafteesh snapshots`: list the published snapshots.

use crate::config::Plan;
use crate::error::{Exit, Result};

/// List the published snapshots.
///
/// Lists the published snapshots, newest first, marking the current one,
/// with their size and what their run kept. Old snapshots are removed after
/// each run by the `[retention]` policy in tafteesh.toml (default: keep the
/// newest 10 and every one younger than 30 days).
///
/// Examples:
///   tafteesh snapshots --config /srv/tafteesh
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    let layout = plan.layout();
    let all = crate::run::snapshots::list(&layout)?;
    if all.is_empty() {
        println!("no snapshots in {}", layout.snapshots().display());
        return Ok(Exit::Success);
    }
    println!(
        "{:<2}{:<22} {:<20} {:>9}  rows kept",
        "", "snapshot", "created (UTC)", "size"
    );
    for s in &all {
        let created = s
            .created
            .map(|c| c.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let kept = s
            .summary
            .as_ref()
            .and_then(|j| j.get("table_rows"))
            .and_then(|t| t.as_object())
            .map(|t| t.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "))
            .unwrap_or_else(|| "(no run.json)".into());
        println!(
            "{:<2}{:<22} {:<20} {:>7.1}MB  {}",
            if s.is_current { "*" } else { "" },
            s.id,
            created,
            s.bytes as f64 / 1e6,
            kept
        );
    }
    println!("(* = current: {})", layout.current().display());
    Ok(Exit::Success)
}
