//! Stopping a run on request: SIGTERM (systemd stopping the service, a
//! `timeout`) and SIGINT (Ctrl-C) stop the run at its next safe point, the
//! way a failure does: what it half built is removed, a `stopped` line goes
//! in the ledger (exit 9), and the `--on-failure` alert runs. Without this a
//! signal acted like `kill -9`: no ledger line, no alert, a building folder
//! left until the next night.
//!
//! The safe points are the stage boundaries before publishing and each
//! partner's cleaning; once a run has begun to publish it finishes, since
//! publishing takes a moment and stopping inside it is what the recovery of
//! a killed run is for. A second signal stops the process at once (exit 9
//! too); the next run cleans up after it, as after a kill.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Error, Exit, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Catch SIGTERM and SIGINT for the rest of the process. Called by the
/// commands that must stop cleanly (`run`); a failure to install is
/// logged, and the signals then act as before.
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGTERM, SIGINT] {
        // The shutdown first: it acts only when a signal came before.
        let installed = signal_hook::flag::register_conditional_shutdown(signal, Exit::Stopped as i32, &REQUESTED)
            .and_then(|_| signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize))
            .and_then(|_| signal_hook::flag::register(signal, &REQUESTED));
        if let Err(e) = installed {
            tracing::warn!("signal {signal} cannot be caught ({e}): it will stop the run at once");
        }
    }
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// An error that stops the run, if a stop was asked for.
pub fn check() -> Result<()> {
    if !requested() {
        return Ok(());
    }
    let name = match SIGNAL.load(Ordering::SeqCst) as i32 {
        signal_hook::consts::SIGTERM => "SIGTERM",
        signal_hook::consts::SIGINT => "SIGINT",
        _ => "a signal",
    };
    Err(Error::Stopped { signal: name })
}

/// Testing only: wait here (up to `TAFTEESH_TEST_PAUSE_MS`) when the
/// environment names this point in `TAFTEESH_TEST_PAUSE_AT`, or until a
/// stop is asked for, so a test can signal a run in a known stage.
pub fn test_pause(point: &str) {
    if std::env::var("TAFTEESH_TEST_PAUSE_AT").ok().as_deref() != Some(point) {
        return;
    }
    let ms: u64 = std::env::var("TAFTEESH_TEST_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    tracing::info!(point, "pausing for a test");
    while std::time::Instant::now() < until && !requested() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
