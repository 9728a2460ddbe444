//! A run's plan, made before anything is read: which inbox files each
//! partner claims, their fingerprints against the current snapshot's
//! manifest, and so whether anything changed. Nothing changed means a no-op
//! that only adds a ledger line; otherwise the [`Inventory`] is what the
//! build starts from.

use chrono::{NaiveDate, Utc};

use super::ledger::{self, LedgerEntry, RunStatus};
use super::manifest::{self, Fingerprints, InputFile, Manifest};
use super::{Run, UnchangedRun};
use crate::error::{Exit, Result};
use crate::ingest::Claims;
use crate::layout::{SnapshotDir, created_at};
use crate::period::quarter_of;

/// What a run found in the inbox, and what it may reuse.
pub struct Inventory<'p> {
    pub claims: Claims<'p>,
    pub inputs: Vec<InputFile>,
    pub fingerprints: Fingerprints,
    /// The current snapshot's manifest: what this run must not publish
    /// markedly less than.
    pub published: Option<Manifest>,
    /// Whether the current snapshot's partners may be carried over (its
    /// restricted area is its own, and the run is not forced).
    pub may_carry: bool,
    /// The restricted area whose linkage state this run may reuse: the
    /// current snapshot's own, forced or not (see [`crate::link::state`]).
    pub linkage_from: Option<crate::layout::RestrictedDir>,
}

impl Inventory<'_> {
    /// The manifest whose partners may be carried over, if any.
    pub fn carry_from(&self) -> Option<&Manifest> {
        self.published.as_ref().filter(|_| self.may_carry)
    }
}

/// What the run will do.
pub enum Decision<'p> {
    Unchanged(UnchangedRun),
    Build(Box<Inventory<'p>>),
}

/// Inventory the inbox's claimed files, and decide whether there is
/// anything to build.
pub fn inventory<'p>(
    run: &Run<'p>,
    inbox: &crate::inbox::Inbox,
    claims: Claims<'p>,
    entry: &mut LedgerEntry,
) -> Result<Decision<'p>> {
    let (plan, opts, layout) = (run.plan, run.opts, run.layout);
    let clock_start = std::time::Instant::now();
    let restricted_latest = layout.restricted_latest();
    let current = layout.current_id();
    let published = current
        .as_deref()
        .and_then(|id| Manifest::read(&layout.snapshot(id)))
        .filter(|m| Some(m.run_id.as_str()) == current.as_deref());
    let previous_exit = current.as_deref().and_then(|id| snapshot_exit(&layout.snapshot(id)));
    // The restricted area belongs to the current snapshot only if the same run wrote both.
    let restricted_id = std::fs::read_to_string(restricted_latest.run_id_marker()).ok();
    let previous = published
        .clone()
        .filter(|m| restricted_id.as_deref() == Some(m.run_id.as_str()));

    let partner_of: std::collections::HashMap<&str, &str> = claims
        .by_partner
        .iter()
        .flat_map(|(p, cs)| cs.iter().map(move |c| (c.file.as_str(), p.as_str())))
        .collect();
    let mut inputs = manifest::scan_inputs(&plan.inbox, &inbox.files, run.aliases, previous.as_ref())?;
    for (i, real) in inputs.iter_mut().zip(&inbox.files) {
        i.partner_id = partner_of.get(real.as_str()).map(|p| p.to_string());
    }
    let key = run.pseudo.fingerprint();
    if let Some(note) = check_key(published.as_ref(), &key, opts.new_key)? {
        tracing::warn!("{note}");
        entry.notes.push(note);
    }
    let fps = manifest::fingerprints(plan, &key, &claims, run.aliases, &inputs)?;
    entry.config_fingerprint = Some(fps.config.clone());
    entry.inputs_fingerprint = Some(fps.run.clone());
    entry.set_inputs(inputs.iter().map(InputFile::ledger));

    // A night that would change nothing first checks that what it would
    // keep is whole: a deleted or overwritten part means a rebuild.
    let broken = match &previous {
        Some(prev) if !opts.force => super::snapshots::check_whole(layout, &prev.run_id).err(),
        _ => None,
    };
    if let Some(why) = &broken {
        tracing::warn!("{why}: this run rebuilds it from the inbox");
        entry.notes.push(format!("{why}: rebuilt from the inbox"));
    }
    if let (false, None, Some(prev), Some(exit)) = (opts.force, &broken, &previous, previous_exit)
        && prev.fingerprint == fps.run
        && prev.holds_on(opts.today())
        && same_quarter(&prev.run_id, opts.today())
    {
        let seconds = clock_start.elapsed().as_secs_f64();
        entry.status = RunStatus::Unchanged;
        entry.exit_code = exit as u8;
        entry.snapshot = Some(prev.run_id.clone());
        entry.finished_at = Utc::now();
        ledger::append(layout, entry)?;
        tracing::info!(run_id = %run.run_id, snapshot = %prev.run_id, seconds = format!("{seconds:.3}"), "nothing changed since the current snapshot; nothing rebuilt");
        // From the snapshot's own copy of its ledger line: a no-op night
        // does not read the whole ledger.
        let reason = LedgerEntry::of_snapshot(&layout.snapshot(&prev.run_id)).and_then(|r| r.error);
        return Ok(Decision::Unchanged(UnchangedRun {
            run_id: run.run_id.to_string(),
            snapshot: prev.run_id.clone(),
            exit,
            reason,
            seconds,
        }));
    }
    let may_carry = !opts.force && broken.is_none() && previous.is_some();
    Ok(Decision::Build(Box::new(Inventory {
        claims,
        inputs,
        fingerprints: fps,
        published,
        may_carry,
        linkage_from: previous.is_some().then_some(restricted_latest),
    })))
}

/// Refuse a key other than the one the current snapshot was made with,
/// (`published`'s manifest keeps its fingerprint) unless `accept`ed: a key file replaced by another valid key changes
/// every person key, token and record key while every figure stays the
/// same, so nothing else would show it, and the research team's joins
/// across snapshots would break silently. Accepted, it is a ledger note.
fn check_key(published: Option<&Manifest>, now: &str, accept: bool) -> Result<Option<String>> {
    let Some((current, was)) = published.and_then(|m| Some((&m.run_id, m.key_fingerprint.as_deref()?))) else {
        return Ok(None);
    };
    if was == now {
        return Ok(None);
    }
    if !accept {
        return Err(crate::error::Error::Key(format!(
            "this key (fingerprint {now}) is not the one the current snapshot {current} was made with \
             (fingerprint {was}). Accepting it changes every person key, pseudonym token and record key \
             (the figures stay the same): the research team's joins across snapshots break at this run, \
             linkage is trained again and every partner is cleaned again. If the key file was replaced by \
             mistake, put the old key back; if the key was changed on purpose, run once with \
             `tafteesh run --new-key`."
        )));
    }
    Ok(Some(format!(
        "re-keyed (--new-key): the key's fingerprint changed from {was} to {now}; every person key, \
         pseudonym token and record key changed at this run"
    )))
}

/// The exit code recorded in a snapshot's `run.json`.
fn snapshot_exit(dir: &SnapshotDir) -> Option<Exit> {
    let bytes = std::fs::read(dir.run_json()).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Exit::from_code(u8::try_from(v.get("exit_code")?.as_u64()?).ok()?)
}

/// Whether the snapshot `id` was built in the same quarter as `today`.
/// Financial-year quarters are calendar quarters (April-June is Q1), and
/// the indicators' current period ends at the run's date: a new quarter
/// brings a new period to measure even when no export changed.
fn same_quarter(id: &str, today: NaiveDate) -> bool {
    created_at(id).is_some_and(|t| quarter_of(t.date_naive()) == quarter_of(today))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_quarter_is_a_change() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(same_quarter("20240401T010000000Z", d("2024-06-30")));
        assert!(!same_quarter("20240630T230000000Z", d("2024-07-01")));
        assert!(!same_quarter("20240101T000000000Z", d("2025-01-01")));
        assert!(!same_quarter("not-a-run-id", d("2024-06-30")));
    }
}
