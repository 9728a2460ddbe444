//! The command line: one file per subcommand, each with its arguments (whose
//! doc comments are the help text) and a `run` that resolves options and
//! calls the library. Nothing here does pipeline work itself.

pub mod bench;
pub mod demo;
pub mod eval_linkage;
pub mod extract;
pub mod files;
pub mod keygen;
pub mod link;
pub mod onboard;
pub mod rollback;
pub mod run;
pub mod snapshots;
pub mod status;
pub mod synth;
pub mod validate;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Exit;

/// `println!` for the commands that build or publish: a closed stdout
/// (`tafteesh run | head -1`) loses the line, not the run.
macro_rules! say {
    ($($t:tt)*) => {
        $crate::cli::say_line(&format!($($t)*))
    };
}
pub(crate) use say;

/// Write one line to stdout, ignoring a closed pipe (see [`say!`]).
pub fn say_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// tafteesh: the Tafteesh programme's analytics pipeline.
///
/// Reads partner MIS exports from an inbox, cleans and pseudonymises them,
/// writes a Parquet lake and a DuckDB warehouse, computes the programme's
/// indicators and publishes a report, as one atomic snapshot.
///
/// Exit codes: 0 success; 1 failure; 2 usage error; 3 success with
/// data-quality warnings (rows quarantined or fields flagged); 4 partial
/// (some input files could not be used); 5 locked; 6 configuration error;
/// 7 held back (the run would publish markedly less than the current
/// snapshot; `run --accept-shrink` publishes anyway).
#[derive(Debug, Parser)]
#[command(name = "tafteesh", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log level: error, warn, info, debug or trace.
    #[arg(long, global = true, default_value = "info", env = "TAFTEESH_LOG")]
    pub log_level: String,
}

/// The `--config` argument shared by the commands that read a configuration.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// tafteesh.toml, or the folder that holds it.
    #[arg(long = "config", short = 'c')]
    pub path: std::path::PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Demo(demo::Args),
    Synth(synth::Args),
    Run(run::Args),
    Onboard(onboard::Args),
    Validate(validate::Args),
    Status(status::Args),
    Files(files::Args),
    Snapshots(snapshots::Args),
    Rollback(rollback::Args),
    Keygen(keygen::Args),
    Bench(bench::Args),
    Link(link::Args),
    EvalLinkage(eval_linkage::Args),
    Extract(extract::Args),
}

/// Set up logging. Log lines carry counts, paths and rule ids, never values.
pub fn init_logging(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // No colours: the writer escapes every control character, so a file
    // name cannot carry a terminal escape into the log.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::progress::LogWriter)
        .with_target(false)
        .with_ansi(false);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Let a closed pipe end a command that only prints, as it ends `ls`.
///
/// Rust ignores SIGPIPE, so `tafteesh status | head` would panic on its
/// next `println!` (exit 101). A command that prints a report restores the
/// default: when the reader goes, the process ends quietly. The commands
/// that build or publish (`run`, `demo`, `bench`, `rollback`, `extract`,
/// `synth`) keep ignoring it, so a closed pipe cannot kill them between
/// two steps of a publish; they print their last lines ignoring a write
/// error instead.
fn quiet_on_closed_pipe(command: &Command) {
    let prints_only = matches!(
        command,
        Command::Validate(_)
            | Command::Status(_)
            | Command::Files(_)
            | Command::Snapshots(_)
            | Command::Link(_)
            | Command::EvalLinkage(_)
            | Command::Onboard(_)
            | Command::Keygen(_)
    );
    #[cfg(unix)]
    if prints_only {
        // SAFETY: setting a signal's disposition to its default at start-up,
        // before any thread is spawned.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

/// Run the parsed command and return its exit code.
pub fn dispatch(cli: Cli) -> Exit {
    init_logging(&cli);
    quiet_on_closed_pipe(&cli.command);
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Run(a) => run::run(a),
        Command::Onboard(a) => onboard::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Status(a) => status::run(a),
        Command::Files(a) => files::run(a),
        Command::Snapshots(a) => snapshots::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Keygen(a) => keygen::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Link(a) => link::run(a),
        Command::EvalLinkage(a) => eval_linkage::run(a),
        Command::Extract(a) => extract::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit()
        }
    }
}
