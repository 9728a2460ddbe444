//! The nightly run: plan, stages, publish. A run takes the run [`lock`],
//! finishes or removes what a killed run left ([`recover`]), inventories
//! the inbox and decides whether anything changed ([`plan`]), builds a
//! snapshot stage by stage ([`build`], [`stages`]) and publishes it
//! ([`publish`]), recording every run in the [`ledger`] whatever happens.
//!
//! A run builds its snapshot in a hidden folder beside the published ones
//! and publishes by renaming it into place and switching the `current`
//! link in one atomic rename, so a reader never sees half a snapshot and a
//! run that dies leaves the last good one untouched.
//!
//! Runs are incremental. The input [`manifest`] fingerprints the configs
//! and every inbox file: when nothing changed since the current snapshot
//! the run is a no-op that only adds a [`ledger`] line; otherwise each
//! partner whose fingerprint is unchanged is carried over from the current
//! snapshot ([`carry`]: its lake files and restricted folders hard-linked,
//! not recomputed) and only the others are cleaned again. The lake is laid
//! out one Parquet file per partner and table to make that possible. The
//! warehouse is always rebuilt from the whole lake, since every mart and
//! indicator (and linkage) spans partners.
//!
//! Where every file of `output/` lives is [`crate::layout`]'s to say.

pub mod build;
pub mod carry;
pub mod clock;
pub mod guard;
pub mod ledger;
pub mod lock;
pub mod manifest;
pub mod plan;
pub mod publish;
pub mod recover;
pub mod snapshots;
pub mod stages;
pub mod stop;
pub mod summary;

use chrono::{DateTime, NaiveDate, Utc};

use crate::aliases::FileAliases;
use crate::config::Plan;
use crate::error::{Exit, Result};
use crate::layout::Layout;
use crate::privacy::Pseudonymizer;
use crate::warehouse;
use ledger::{LedgerEntry, RunStatus};
pub use summary::RunSummary;

/// The clock of a run, injectable so tests are reproducible, and an
/// optional fault to inject.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub now: DateTime<Utc>,
    /// Abort the process (as a power cut would) at this point. For tests.
    pub fail_after: Option<FaultPoint>,
    /// Rebuild everything even when nothing changed.
    pub force: bool,
    /// Train the linkage model again, whatever changed since it was
    /// trained (see [`crate::link::state`]).
    pub retrain: bool,
    /// Publish even when the run would publish markedly less than the
    /// current snapshot (see [`crate::config::Publish`]).
    pub accept_shrink: bool,
    /// Run even when the clock reads earlier than the last snapshot or
    /// the newest export (see [`clock`]).
    pub trust_clock: bool,
    /// Accept a pseudonymisation key other than the current snapshot's
    /// (see [`plan`]).
    pub new_key: bool,
}

impl RunOptions {
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }
}

/// The boundaries where a run can be made to die, to prove that the
/// published snapshot survives a crash at any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultPoint {
    Clean,
    Lake,
    Warehouse,
    Report,
    Manifest,
    /// The new snapshot is in place but `current` still names the old one.
    SnapshotRenamed,
    /// `current` names the new snapshot; the restricted area is not yet swapped.
    CurrentSwitched,
}

impl FaultPoint {
    pub const ALL: [FaultPoint; 7] = [
        FaultPoint::Clean,
        FaultPoint::Lake,
        FaultPoint::Warehouse,
        FaultPoint::Report,
        FaultPoint::Manifest,
        FaultPoint::SnapshotRenamed,
        FaultPoint::CurrentSwitched,
    ];
}

/// Die here if the options say so: no clean-up, no unwinding, like `kill -9`.
fn checkpoint(opts: &RunOptions, here: FaultPoint) {
    if opts.fail_after == Some(here) {
        tracing::error!(point = ?here, "injected fault: aborting");
        std::process::abort();
    }
}

/// A safe point before publishing: die here if the options say so, and
/// stop here if a signal asked (see [`stop`]).
fn safe_point(opts: &RunOptions, here: FaultPoint) -> Result<()> {
    checkpoint(opts, here);
    stop::test_pause(&format!("{here:?}").to_lowercase());
    stop::check()
}

/// How a run ended when it did not fail.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    /// A new snapshot was built and published.
    Published(Box<RunSummary>),
    /// Nothing changed since the current snapshot: nothing was rebuilt.
    Unchanged(UnchangedRun),
}

impl RunOutcome {
    pub fn exit(&self) -> Exit {
        match self {
            RunOutcome::Published(s) => s.exit(),
            RunOutcome::Unchanged(u) => u.exit,
        }
    }

    pub fn run_id(&self) -> &str {
        match self {
            RunOutcome::Published(s) => &s.run_id,
            RunOutcome::Unchanged(u) => &u.run_id,
        }
    }

    /// Why the run did not fully succeed, when it finished (exit 4: which
    /// files could not be used, and why); `None` for a clean run.
    pub fn reason(&self) -> Option<String> {
        match self {
            RunOutcome::Published(s) => s.partial_reason(),
            RunOutcome::Unchanged(u) if u.exit == Exit::Partial => Some(format!(
                "nothing changed since snapshot {}, whose run was partial: {}",
                u.snapshot,
                u.reason
                    .as_deref()
                    .unwrap_or("some input files could not be used (see `tafteesh status`)")
            )),
            RunOutcome::Unchanged(_) => None,
        }
    }
}

/// A run that found nothing to do.
#[derive(Debug, Clone)]
pub struct UnchangedRun {
    pub run_id: String,
    /// The current snapshot, kept as it is.
    pub snapshot: String,
    /// The exit code of the run that built that snapshot: a partner's
    /// unreadable file stays reported (exit 4) every night until it is fixed.
    pub exit: Exit,
    /// Why that run was partial, as the ledger recorded it.
    pub reason: Option<String>,
    pub seconds: f64,
}

/// What every part of a run shares: the plan, the options, the key, the
/// SQL project, the output layout, the run's id and the names its inbox
/// entries are published under.
pub struct Run<'a> {
    pub plan: &'a Plan,
    pub opts: RunOptions,
    pub pseudo: &'a Pseudonymizer,
    pub project: &'a warehouse::Project,
    pub layout: &'a Layout,
    pub run_id: &'a str,
    pub aliases: &'a FileAliases,
}

/// Run the whole job once, holding the run lock, and record it in the
/// ledger whatever happens. A run that fails removes what it half built;
/// one that was killed leaves it for the next run, which removes it under
/// the lock and records the interruption.
pub fn run(plan: &Plan, opts: RunOptions) -> Result<RunOutcome> {
    let pseudo = Pseudonymizer::load(plan.key.as_ref())?;
    let project = warehouse::Project::load()?;
    let layout = plan.layout();
    let started = Utc::now();
    let _lock = lock::RunLock::acquire_for(&layout, &crate::layout::run_id(opts.now), started)?;
    // The clock judged before anything is named after it or dated by it.
    let listed = crate::inbox::list(&plan.inbox);
    let files = listed.as_ref().map(|i| i.files.as_slice()).unwrap_or_default();
    let clock = clock::Judgement::of(&layout, &plan.inbox, files, opts.now);
    let opts = RunOptions { now: clock.now, ..opts };
    let run_id = crate::layout::run_id(opts.now);
    // Testing only: hold the lock a while, so a test can watch a run going.
    if let Some(ms) = std::env::var("TAFTEESH_TEST_HOLD_LOCK_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    recover::unfinished_runs(&layout, &run_id, started)?;
    let mut entry = LedgerEntry::new(&run_id, started, RunStatus::Failed, Exit::Failure as u8);
    // Every inbox entry's published name is known before anything names one.
    let mut aliases = FileAliases::default();
    let result = (|| {
        if let Some(why) = &clock.behind {
            if !opts.trust_clock {
                return Err(crate::error::Error::ClockBehind { why: why.clone() });
            }
            tracing::warn!("{why}; run anyway (--trust-clock)");
        }
        if let Some(note) = clock.note() {
            tracing::warn!("{note}");
            entry.notes.push(note);
        }
        let inbox = listed?;
        let claims = crate::ingest::claim(plan, &inbox);
        aliases = FileAliases::new(plan, &inbox, &crate::ingest::claim::entries(&claims), &pseudo);
        ledger::alias_file_names(&layout, &aliases)?;
        let run = Run {
            plan,
            opts,
            pseudo: &pseudo,
            project: &project,
            layout: &layout,
            run_id: &run_id,
            aliases: &aliases,
        };
        match plan::inventory(&run, &inbox, claims, &mut entry)? {
            plan::Decision::Unchanged(u) => Ok(RunOutcome::Unchanged(u)),
            plan::Decision::Build(inventory) => {
                build::build_and_publish(&run, inventory, &mut entry).map(|s| RunOutcome::Published(Box::new(s)))
            }
        }
    })();
    // An error may name an inbox file (an I/O error on it): by its alias
    // from here on, in the ledger, the log, stderr and the alert.
    let result = result
        .map_err(|e| crate::disk::explain(e, &layout.snapshots()))
        .map_err(|e| e.redacted(|text| aliases.redact(text)));
    if let Err(e) = &result {
        for dir in [layout.building(&run_id).0, layout.restricted_building(&run_id).0] {
            let _ = std::fs::remove_dir_all(dir);
        }
        // The entry may already read "published" if publishing itself failed.
        entry.status = match e.exit() {
            Exit::HeldBack | Exit::ClockBehind => RunStatus::HeldBack,
            Exit::Stopped => RunStatus::Stopped,
            _ => RunStatus::Failed,
        };
        entry.exit_code = e.exit() as u8;
        entry.error = Some(e.to_string());
        entry.finished_at = Utc::now();
        entry.snapshot = layout.current_id();
        if let Err(le) = ledger::append(&layout, &entry) {
            tracing::error!("could not record the failed run in the ledger: {le}");
        }
    }
    result
}
