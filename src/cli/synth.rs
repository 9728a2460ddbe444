//! `tafteesh synth`: generate demo exports and their ground truth.

use super::say;
use std::path::PathBuf;

use crate::error::{Exit, Result};

/// Generate demo exports and their ground truth (no run).
///
/// Generates deterministic exports from 9 fictional partners into OUT/inbox,
/// and the ground truth into OUT/truth (kept out of the inbox). Every name,
/// phone number and place in them is fictional.
///
/// Examples:
///   tafteesh synth --survivors 3000 --seed 42 --out demo
///   tafteesh synth --survivors 1000000 --out /tmp/big
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// How many people the fictional world holds.
    #[arg(long, default_value_t = 3000)]
    pub survivors: usize,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<Exit> {
    let s = crate::synth::generate(args.survivors, args.seed, &args.out)?;
    say!(
        "synth: {} people, {} cases, {} claims; {} files in {}; truth in {}",
        s.people,
        s.cases,
        s.claims,
        s.files.len(),
        s.inbox.display(),
        s.truth.display()
    );
    for (f, n) in &s.files {
        say!("  {f}: {n} rows");
    }
    Ok(Exit::Success)
}
