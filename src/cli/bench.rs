//! `tafteesh bench`: time the whole run on N synthetic survivors. The
//! measuring is [`crate::bench`]'s; this prints it.

use super::say;
use std::path::PathBuf;

use crate::bench::{FloorOptions, Options};
use crate::error::{Exit, Result};

/// Time the whole run, per stage, on N synthetic survivors.
///
/// Generates N synthetic survivors (unless the folder already holds them),
/// runs the whole job on them (forced, as a first run), and reports wall
/// time and peak memory per stage. Then it times the nightly cases: a run
/// with nothing changed (a no-op), and a run after one partner's export
/// changed: one record in a hundred deleted from it, as a partner's MIS
/// drops submissions between exports (restored afterwards).
/// The generation itself is timed apart and not part of any run.
///
/// Beside each it measures the floor: every claimed file read as text and
/// written to Parquet with polars alone (scripts/bench_floor.py, a copy of
/// the programme's shared floor script; needs `pip install polars
/// fastexcel`), on the whole inbox and on the changed partner's files,
/// alternating with the runs, and prints the ratios the performance goals
/// are stated in.
///
/// Examples:
///   tafteesh bench --survivors 100000
///   tafteesh bench --survivors 1000000 --dir /tmp/bench-1m --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// How many people the fictional world holds.
    #[arg(long, default_value_t = 100_000)]
    pub survivors: usize,
    /// Seed for the generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Working folder (default: a folder in the system temp dir named after N and the seed).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Regenerate the data even when the folder holds it.
    #[arg(long)]
    pub regenerate: bool,
    /// Print the figures as JSON too.
    #[arg(long)]
    pub json: bool,
    /// The Python that runs the floor (it needs polars and fastexcel).
    #[arg(long, env = "TAFTEESH_FLOOR_PYTHON", default_value = "python3")]
    pub floor_python: PathBuf,
    /// Measure the floor with this script instead of the built-in copy
    /// (e.g. ../shared/bench/floor.py).
    #[arg(long)]
    pub floor_script: Option<PathBuf>,
    /// Do not measure the floor.
    #[arg(long)]
    pub no_floor: bool,
}

pub fn run(args: Args) -> Result<Exit> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("tafteesh-bench-{}-{}", args.survivors, args.seed)));
    let opts = Options {
        survivors: args.survivors,
        seed: args.seed,
        dir,
        regenerate: args.regenerate,
        floor: (!args.no_floor).then(|| FloorOptions {
            python: args.floor_python.clone(),
            script: args.floor_script.clone(),
        }),
    };
    let bench = crate::bench::measure(&opts)?;
    for line in bench.lines() {
        say!("{line}");
    }
    if args.json {
        say!("{}", bench.json());
    }
    Ok(Exit::Success)
}
