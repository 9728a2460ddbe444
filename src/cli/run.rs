//! `tafteesh run`: the nightly job, as cron calls it.

use crate::config::Plan;
use crate::error::{Exit, Result};
use crate::job::{self, RunOptions, RunSummary};

/// Run the whole job on an inbox of partner exports.
///
/// Reads every file the partner pipelines claim, cleans and pseudonymises
/// it, and publishes a new snapshot (lake, warehouse, reports) under the
/// configured output folder, switching `output/current` to it atomically.
/// Unusable rows go to the restricted quarantine with their reasons.
///
/// Examples:
///   tafteesh run --config /srv/tafteesh
///   TAFTEESH_KEY=$(cat /secure/key) tafteesh run --config /srv/tafteesh/tafteesh.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,

    /// The pseudonymisation key in hex (prefer the environment variable to the flag).
    #[arg(long, env = "TAFTEESH_KEY", hide_env_values = true)]
    pub key: Option<String>,

    /// Testing only: abort the process at this point, as a power cut would.
    #[arg(long, hide = true, env = "TAFTEESH_FAIL_AFTER", value_enum)]
    pub fail_after: Option<crate::job::FaultPoint>,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, args.key)?;
    let summary = job::run(
        &plan,
        RunOptions {
            now: chrono::Utc::now(),
            fail_after: args.fail_after,
        },
    )?;
    print_summary(&summary);
    Ok(summary.exit())
}

/// The short summary printed after a run.
pub fn print_summary(s: &RunSummary) {
    println!("tafteesh run {} published", s.run_id);
    println!(
        "  files read: {} ({} could not be used); rows read: {}; exact duplicates removed: {}; rows quarantined: {}; field warnings: {}",
        s.files_read(),
        s.files_failed(),
        s.rows_read,
        s.duplicates_removed,
        s.rows_quarantined,
        s.field_warnings
    );
    let out: Vec<String> = s.table_rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  rows out: {}", out.join(", "));
    println!(
        "  warehouse: {} models, {} model tests passed, {} indicator values",
        s.models_built, s.model_tests_passed, s.indicator_rows
    );
    for f in s.files.iter().filter(|f| f.error.is_some()) {
        println!(
            "  NOT USED {} ({}): {}",
            f.file,
            f.partner_id,
            f.error.as_deref().unwrap_or_default()
        );
    }
    for f in &s.unclaimed_files {
        println!("  NOT CLAIMED by any pipeline: {f}");
    }
    println!("  warehouse file: {}", s.warehouse.display());
    println!("  report:         {}", s.report_html.display());
    println!("  indicators csv: {}", s.report_csv.display());
    if s.rows_quarantined > 0 {
        println!("  quarantine (restricted): {}", s.quarantine.display());
    }
    let stages: Vec<String> = s
        .stages
        .iter()
        .map(|m| format!("{} {:.1}s", m.stage, m.seconds))
        .collect();
    println!("  time: {}", stages.join(", "));
}
