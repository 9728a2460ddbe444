//! One error type for the whole job, grouped by who must act, and the exit
//! codes a cron wrapper can branch on.
//!
//! Messages name files, rows, fields and rules. They must never carry the
//! value of a personal field: callers build messages from positions and
//! rule ids, not from cell contents.

use std::path::PathBuf;
use std::process::ExitCode;

/// `Result` with tafteesh's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes, documented in the README. Stable: cron wrappers depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The run finished and every row was kept.
    Success = 0,
    /// The run could not finish (I/O, warehouse, or a bug).
    Failure = 1,
    /// The command line was wrong (clap's own code).
    Usage = 2,
    /// The run finished and published; some rows were quarantined or fields flagged.
    DataQualityWarnings = 3,
    /// The run finished and published, but some input files could not be read.
    Partial = 4,
    /// Another run holds the lock.
    Locked = 5,
    /// A config or schema is invalid; nothing was read.
    Config = 6,
    /// The run would have published markedly less than the current
    /// snapshot (an empty inbox, a partner's rows vanishing or shrinking, a
    /// file cut short): it published nothing and the current one stays.
    HeldBack = 7,
    /// The clock reads earlier than the last published snapshot or the
    /// newest export: the run read nothing and published nothing.
    ClockBehind = 8,
    /// SIGTERM or SIGINT stopped the run: it removed what it half built
    /// and published nothing.
    Stopped = 9,
}

impl Exit {
    /// The exit code a number stands for, as recorded in a snapshot's `run.json`.
    pub fn from_code(code: u8) -> Option<Exit> {
        [
            Exit::Success,
            Exit::Failure,
            Exit::Usage,
            Exit::DataQualityWarnings,
            Exit::Partial,
            Exit::Locked,
            Exit::Config,
            Exit::HeldBack,
            Exit::ClockBehind,
            Exit::Stopped,
        ]
        .into_iter()
        .find(|e| *e as u8 == code)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Everything that can stop a command. Problems with single rows or single
/// input files are not errors: they are counted in the run summary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- the operator must fix a configuration ----
    /// A config, schema or reference file is invalid. Every problem is listed.
    #[error("{} has {} problem(s):\n{}", printable(&path.display().to_string()), problems.len(), bullet(problems))]
    Config { path: PathBuf, problems: Vec<String> },

    /// The pseudonymisation key is missing or unsafe.
    #[error("pseudonymisation key: {0}")]
    Key(String),

    // ---- the operator must fix the environment ----
    /// A file or folder could not be read or written.
    #[error("{}: {source}", printable(&path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The command line named something that does not exist.
    #[error("{0}")]
    Usage(String),

    /// Another run holds the lock.
    #[error("another run is going: {holder} holds {}", path.display())]
    Locked { path: PathBuf, holder: String },

    /// The run would publish markedly less than the current snapshot.
    #[error(
        "not published: this run would publish markedly less than the current snapshot, which stays current:\n{}\nFix the exports, or publish anyway with `tafteesh run --accept-shrink`.",
        bullet(reasons)
    )]
    HeldBack { reasons: Vec<String> },

    /// The clock cannot be right (see [`crate::run::clock`]).
    #[error(
        "not run: {why}. Dates would be judged wrong (records blanked as future, the current period cut short). \
         Set the clock right (NTP), or, if it is right, run with `tafteesh run --trust-clock`."
    )]
    ClockBehind { why: String },

    /// A signal asked the run to stop (see [`crate::run::stop`]).
    #[error("stopped by {signal}: the run removed what it had built and published nothing; the current snapshot stays")]
    Stopped { signal: &'static str },

    /// The inbox folder does not exist.
    #[error("inbox {} does not exist or is not a folder", .0.display())]
    MissingInbox(PathBuf),

    // ---- a bug or an engine failure: report it ----
    /// DuckDB refused a statement while building the warehouse.
    #[error("warehouse: {context}: {source}")]
    Warehouse {
        context: String,
        #[source]
        source: duckdb::Error,
    },

    /// Polars failed on a dataframe stage.
    #[error("{context}: {source}")]
    Frame {
        context: String,
        #[source]
        source: polars::prelude::PolarsError,
    },

    /// The run's own bookkeeping found something impossible. Please report it.
    #[error("internal error (please report): {0}")]
    Internal(String),

    /// Another error whose message named an inbox file, with the file
    /// named by its alias instead (see [`crate::aliases`]); its exit code
    /// is the original's.
    #[error("{message}")]
    Redacted { exit: Exit, message: String },
}

fn bullet(items: &[String]) -> String {
    items
        .iter()
        .map(|p| format!("  - {}", printable(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text with its control characters (line breaks, ANSI escapes, C1 codes)
/// written as `\u{..}`, so a file name holding a newline or a terminal
/// escape cannot forge a log line or a `NOT USED` line, or repaint a
/// terminal. Borrows when there is nothing to escape.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl Error {
    /// Which exit code this error maps to.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Config { .. } | Error::Key(_) => Exit::Config,
            Error::Locked { .. } => Exit::Locked,
            Error::Usage(_) => Exit::Usage,
            Error::HeldBack { .. } => Exit::HeldBack,
            Error::ClockBehind { .. } => Exit::ClockBehind,
            Error::Stopped { .. } => Exit::Stopped,
            Error::Redacted { exit, .. } => *exit,
            _ => Exit::Failure,
        }
    }

    /// This error with its message passed through `redact` (which replaces
    /// inbox paths by their aliases); the error itself when nothing changed.
    pub fn redacted(self, redact: impl Fn(&str) -> String) -> Error {
        let text = self.to_string();
        let clean = redact(&text);
        if clean == text {
            self
        } else {
            Error::Redacted {
                exit: self.exit(),
                message: clean,
            }
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// An [`Error::Frame`] with context.
    pub fn frame(context: impl Into<String>) -> impl FnOnce(polars::prelude::PolarsError) -> Error {
        let context = context.into();
        move |source| Error::Frame { context, source }
    }

    /// An [`Error::Warehouse`] with context.
    pub fn warehouse(context: impl Into<String>) -> impl FnOnce(duckdb::Error) -> Error {
        let context = context.into();
        move |source| Error::Warehouse { context, source }
    }
}
