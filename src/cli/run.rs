//! `tafteesh run`: the nightly job, as cron calls it.

use super::say;
use crate::config::Plan;
use crate::error::{Exit, Result, printable};
use crate::run::{self, RunOptions, RunOutcome, RunSummary};

/// Run the whole job on an inbox of partner exports.
///
/// Reads every file the partner pipelines claim, cleans and pseudonymises
/// it, and publishes a new snapshot (lake, warehouse, reports) under the
/// configured output folder, switching `output/current` to it atomically.
/// Unusable rows go to the restricted quarantine with their reasons.
///
/// When no inbox file and no config changed since the current snapshot, the
/// run does nothing but add a line to `output/ledger.jsonl`, and exits with
/// the code of the run that built the current snapshot. When some partners'
/// exports changed, only those partners are cleaned again.
///
/// Examples:
///   tafteesh run --config /srv/tafteesh
///   tafteesh run --config /srv/tafteesh --on-failure 'mail -s "tafteesh failed" ops@example.org < /dev/null'
///   TAFTEESH_KEY=$(cat /secure/key) tafteesh run --config /srv/tafteesh/tafteesh.toml --force
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,

    /// The pseudonymisation key in hex (prefer the environment variable to the flag).
    #[arg(long, env = "TAFTEESH_KEY", hide_env_values = true)]
    pub key: Option<String>,

    /// Rebuild everything, even when nothing changed since the current snapshot.
    /// Linkage still reuses its model while few records changed since it was
    /// trained (`retrain_after` in linkage.toml), and compares every pair.
    #[arg(long)]
    pub force: bool,

    /// Train the linkage model again on this run, however few records
    /// changed since it was trained.
    #[arg(long)]
    pub retrain: bool,

    /// Publish even when this run would publish markedly less than the
    /// current snapshot (no rows at all, a partner's rows vanishing or falling
    /// by more than `[publish] max_shrink`, a file that ends mid-row), which
    /// otherwise holds the snapshot back with exit 7.
    #[arg(long)]
    pub accept_shrink: bool,

    /// Run even though the clock reads earlier than the last published
    /// snapshot or (by more than a day) the newest export, which otherwise
    /// holds the run back with exit 8. Dates are then judged against the
    /// later of the clock and the newest export.
    #[arg(long)]
    pub trust_clock: bool,

    /// Accept a pseudonymisation key other than the one the current
    /// snapshot was made with, which is otherwise refused (exit 6): every
    /// person key, token and record key changes, and the ledger says so.
    #[arg(long)]
    pub new_key: bool,

    /// Shell command run when the run ends with an exit code other than 0 or 3.
    /// It gets TAFTEESH_EXIT_CODE, TAFTEESH_RUN_ID and TAFTEESH_ERROR (no personal values) in its environment.
    #[arg(long, value_name = "CMD", env = "TAFTEESH_ON_FAILURE")]
    pub on_failure: Option<String>,

    /// Testing only: the time the run reads from its clock (RFC 3339).
    #[arg(long, hide = true, env = "TAFTEESH_TEST_CLOCK")]
    pub clock: Option<chrono::DateTime<chrono::Utc>>,

    /// Testing only: abort the process at this point, as a power cut would.
    #[arg(long, hide = true, env = "TAFTEESH_FAIL_AFTER", value_enum)]
    pub fail_after: Option<crate::run::FaultPoint>,
}

pub fn run(args: Args) -> Result<Exit> {
    let hook = args.on_failure.clone();
    let result = run_job(args);
    if let Some(cmd) = hook {
        let (exit, run_id, error) = match &result {
            Ok(o) => (o.exit(), o.run_id().to_string(), o.reason().unwrap_or_default()),
            Err(e) => (e.exit(), String::new(), e.to_string()),
        };
        if !matches!(exit, Exit::Success | Exit::DataQualityWarnings) {
            on_failure(&cmd, exit, &run_id, &error);
        }
    }
    let outcome = result?;
    if let Some(why) = outcome.reason() {
        tracing::warn!(exit_code = outcome.exit() as u8, "{why}");
    }
    match &outcome {
        RunOutcome::Published(s) => print_summary(s),
        RunOutcome::Unchanged(u) => say!(
            "tafteesh run {}: nothing changed since snapshot {}; nothing rebuilt ({:.2}s). `--force` rebuilds.",
            u.run_id,
            u.snapshot,
            u.seconds
        ),
    }
    Ok(outcome.exit())
}

fn run_job(args: Args) -> Result<RunOutcome> {
    let plan = Plan::resolve(&args.config.path, args.key)?;
    run::stop::install();
    run::run(
        &plan,
        RunOptions {
            now: args.clock.unwrap_or_else(chrono::Utc::now),
            fail_after: args.fail_after,
            force: args.force,
            retrain: args.retrain,
            accept_shrink: args.accept_shrink,
            trust_clock: args.trust_clock,
            new_key: args.new_key,
        },
    )
}

/// Run the operator's alert command through the shell. Its own failure is
/// logged, never allowed to hide the run's exit code.
fn on_failure(cmd: &str, exit: Exit, run_id: &str, error: &str) {
    tracing::info!(exit_code = exit as u8, "running the --on-failure command");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("TAFTEESH_EXIT_CODE", (exit as u8).to_string())
        .env("TAFTEESH_RUN_ID", run_id)
        .env("TAFTEESH_ERROR", printable(error).as_ref())
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => tracing::error!("the --on-failure command failed ({s})"),
        Err(e) => tracing::error!("the --on-failure command could not start: {e}"),
    }
}

/// The short summary printed after a run.
pub fn print_summary(s: &RunSummary) {
    say!("tafteesh run {} published", s.run_id);
    say!(
        "  files read: {} ({} could not be used); rows read: {}; exact duplicates removed: {}; rows quarantined: {}; field warnings: {}",
        s.files_read,
        s.files_failed,
        s.rows_read,
        s.duplicates_removed,
        s.rows_quarantined,
        s.field_warnings
    );
    let out: Vec<String> = s.table_rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
    say!("  rows out: {}", out.join(", "));
    say!(
        "  warehouse: {} models, {} model tests passed, {} indicator values ({} too small to publish, {} more hidden to protect them)",
        s.models_built,
        s.model_tests_passed,
        s.indicator_rows,
        s.cells_suppressed.primary,
        s.cells_suppressed.secondary
    );
    for f in s.files.iter().filter(|f| f.error.is_some()) {
        say!(
            "  NOT USED {} ({}): {}",
            printable(&f.file),
            if f.partner_id.is_empty() {
                "no partner's glob matches it"
            } else {
                f.partner_id.as_str()
            },
            printable(f.error.as_deref().unwrap_or_default())
        );
    }
    for f in &s.unclaimed_files {
        say!("  NOT CLAIMED by any pipeline: {}", printable(f));
    }
    say!("  warehouse file: {}", s.warehouse.display());
    say!("  report:         {}", s.report_html.display());
    say!("  indicators csv: {}", s.report_csv.display());
    say!("  workbook:       {}", s.report_xlsx.display());
    say!("  codebook:       {}", s.codebook.display());
    if s.rows_quarantined > 0 {
        say!("  quarantine (restricted): {}", s.quarantine.display());
    }
    let stages: Vec<String> = s
        .stages
        .iter()
        .map(|m| format!("{} {:.1}s", m.stage, m.seconds))
        .collect();
    say!("  time: {}", stages.join(", "));
    if !s.reused_partners.is_empty() {
        say!(
            "  unchanged partners carried over: {}; cleaned again: {}",
            s.reused_partners.join(", "),
            if s.recomputed_partners.is_empty() {
                "none".to_string()
            } else {
                s.recomputed_partners.join(", ")
            }
        );
    }
}
