//! `tafteesh demo`: generate demo data and run the whole job on it.

use super::say;
use std::path::PathBuf;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::run::{self, RunOptions};

/// Generate demo data from 9 fictional partners and run the whole job on it.
///
/// Generates the bundled demo data (exports from 9 fictional partners), sets
/// up a config for it, and runs the nightly job on it once.
///
/// Lays out DIR/inbox (the exports), DIR/truth (the ground truth),
/// DIR/config (tafteesh.toml and the partner pipelines), DIR/restricted
/// (the key) and DIR/output (snapshots, restricted quarantine). Afterwards
/// `tafteesh run --config DIR/config` runs the job again, as cron would.
///
/// Examples:
///   tafteesh demo
///   tafteesh demo --dir /tmp/demo --survivors 10000
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Where to put the demo.
    #[arg(long, default_value = "tafteesh-demo")]
    pub dir: PathBuf,
    /// How many people the fictional world holds.
    #[arg(long, default_value_t = 3000)]
    pub survivors: usize,
    /// Seed for the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: Args) -> Result<Exit> {
    let s = crate::synth::generate(args.survivors, args.seed, &args.dir)?;
    say!(
        "demo data: {} fictional people, {} cases, {} claims, {} export files",
        s.people,
        s.cases,
        s.claims,
        s.files.len()
    );
    let config = crate::synth::set_up_config(&args.dir)?;
    let plan = Plan::resolve(&config, None)?;
    let outcome = run::run(
        &plan,
        RunOptions {
            now: chrono::Utc::now(),
            fail_after: None,
            force: true,
            retrain: false,
            // The demo regenerates its inbox: fewer rows than last time is intended.
            accept_shrink: true,
            trust_clock: false,
            new_key: false,
        },
    )?;
    let run::RunOutcome::Published(summary) = outcome else {
        return Err(Error::Internal("a forced run always publishes".into()));
    };
    super::run::print_summary(&summary);
    say!(
        "  run it again as cron would: tafteesh run --config {}",
        config.display()
    );
    // The demo data carries mistakes on purpose: warnings are the expected outcome.
    Ok(match summary.exit() {
        Exit::DataQualityWarnings => Exit::Success,
        other => other,
    })
}
