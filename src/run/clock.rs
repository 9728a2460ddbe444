//! The run's clock, judged before anything trusts it.
//!
//! Cleaning blanks dates in the future, the indicators' current period ends
//! at the run's date, and a snapshot's id is its run's start time. So a
//! machine whose clock was set back (a dead CMOS battery, a VM restored
//! from an old image, a wrong NTP server) silently skews a night: at
//! 2020-06-01 the demo lost 1,238 dates as "future" and more than half its
//! FIR dates, and still published. Time on this machine cannot go back
//! before the last snapshot it published, and an export cannot have been
//! written after the moment the run reads it; a clock earlier than either
//! is wrong, and the run is held back (exit 8) unless the operator says the
//! clock is right (`--trust-clock`).
//!
//! A run that goes on judges dates against the later of its clock and the
//! newest export (and stays after the last snapshot, so snapshot ids and
//! the indicator history keep their order): with a clock a few hours slow,
//! a record entered this morning is not in the future.
//!
//! Export times come from other machines (a partner's laptop, a file
//! server, an unzip that keeps the zip's local times), so they may run a
//! little ahead of this clock: only an export more than [`EXPORT_SLACK`]
//! ahead holds a run back.

use chrono::{DateTime, Duration, Utc};

use crate::layout::{Layout, created_at};

/// How far ahead of the clock an export's modification time may be
/// without holding the run back.
pub const EXPORT_SLACK: Duration = Duration::hours(26);

/// What a run's clock was judged against, and the time it runs at.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The clock as read.
    pub clock: DateTime<Utc>,
    /// The time the run goes by: the later of the clock, the newest export
    /// and just after the last published snapshot.
    pub now: DateTime<Utc>,
    /// Why the clock cannot be right, when it cannot.
    pub behind: Option<String>,
}

impl Judgement {
    /// Judge `clock` against the published snapshots and the inbox's files.
    pub fn of(layout: &Layout, inbox: &std::path::Path, files: &[String], clock: DateTime<Utc>) -> Judgement {
        let last_snapshot = super::snapshots::ids(layout)
            .unwrap_or_default()
            .iter()
            .filter_map(|id| created_at(id))
            .max();
        let newest_export = files
            .iter()
            .filter_map(|f| std::fs::symlink_metadata(inbox.join(f)).and_then(|m| m.modified()).ok())
            .map(DateTime::<Utc>::from)
            .max();
        Judgement::against(clock, last_snapshot, newest_export)
    }

    fn against(
        clock: DateTime<Utc>,
        last_snapshot: Option<DateTime<Utc>>,
        newest_export: Option<DateTime<Utc>>,
    ) -> Judgement {
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let behind = match (last_snapshot, newest_export) {
            (Some(last), _) if clock < last => Some(format!(
                "the clock reads {}, earlier than the last snapshot this job published ({})",
                day(clock),
                day(last)
            )),
            (_, Some(newest)) if clock + EXPORT_SLACK < newest => Some(format!(
                "the clock reads {}, more than a day before the newest export in the inbox was written ({})",
                day(clock),
                day(newest)
            )),
            _ => None,
        };
        let after_last = last_snapshot.map(|t| t + Duration::milliseconds(1));
        let now = [Some(clock), newest_export, after_last]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(clock);
        Judgement { clock, now, behind }
    }

    /// A sentence for the ledger when the run goes by a time other than its
    /// clock's (by more than a minute).
    pub fn note(&self) -> Option<String> {
        (self.now - self.clock > Duration::minutes(1)).then(|| {
            format!(
                "the clock read {}; dates were judged against {}, the later of the newest export and the last snapshot",
                self.clock.format("%Y-%m-%d %H:%M UTC"),
                self.now.format("%Y-%m-%d %H:%M UTC")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_clock_before_the_last_snapshot_or_well_before_an_export_is_behind() {
        let last = Some(t("2026-12-01T02:00:00Z"));
        let export = Some(t("2026-12-05T10:00:00Z"));
        let ok = Judgement::against(t("2026-12-06T02:00:00Z"), last, export);
        assert!(ok.behind.is_none());
        assert_eq!(ok.now, t("2026-12-06T02:00:00Z"));
        assert!(ok.note().is_none());

        let set_back = Judgement::against(t("2020-06-01T00:00:00Z"), last, export);
        assert!(
            set_back
                .behind
                .as_deref()
                .unwrap()
                .contains("earlier than the last snapshot")
        );
        assert_eq!(set_back.now, t("2026-12-05T10:00:00Z"));
        assert!(set_back.note().is_some());

        // No snapshot yet: the exports alone say the clock is wrong.
        let first = Judgement::against(t("2020-06-01T00:00:00Z"), None, export);
        assert!(first.behind.unwrap().contains("newest export"));

        // An export a few hours ahead (another machine's clock, an unzip in
        // local time) holds nothing back, and its time is the run's.
        let slow = Judgement::against(t("2026-12-05T04:30:00Z"), last, export);
        assert!(slow.behind.is_none());
        assert_eq!(slow.now, t("2026-12-05T10:00:00Z"));
    }
}
