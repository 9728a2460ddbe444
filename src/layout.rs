//! The one place that names every path under `output/`: the published
//! snapshots and the `current` link, the folders a run builds in, the
//! ledger, the run lock, the indicator history, and the restricted area
//! with its plaintext. Nothing else joins path strings under `output/`;
//! a module that needs a path asks for it here (cargo's
//! `core/compiler/layout.rs` is the model).
//!
//! ```text
//! output/
//!   .lock                         the run lock (run::lock)
//!   ledger.jsonl                  one line per run (run::ledger)
//!   current -> snapshots/<id>     the published snapshot, switched atomically
//!   .current.tmp                  the link being made, renamed over `current`
//!   snapshots/<id>/               one published snapshot (see SnapshotDir)
//!     reports/                    suppressed aggregates: anyone the `[access]` config allows
//!     research/                   minimal pseudonymised microdata: the research group only
//!       lake/ warehouse/ marts/
//!     lake/                       every cleaned row with its references and tokens: owner-only
//!   snapshots/.building-<id>/     a snapshot being built
//!   snapshots/.pruning-<id>/      a snapshot being removed by the retention policy
//!   history/indicator_values/<id>.parquet   every published run's figures (unsuppressed: the research group only)
//!   history/unreadable/<id>.parquet         a history file a run could not read, moved aside
//!   extracts/<study>/<id>/        a study's de-identified extract of snapshot <id>
//!   extracts/<study>/.building-<id>/  one being written
//!   restricted/                   owner-only plaintext (see RestrictedDir)
//!     latest/                     the current snapshot's restricted area
//!     .building-<id>/             the one being built
//!     .old/                       the previous one while a swap is under way
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

/// A folder a run is building (a snapshot or a restricted area) is named
/// with this prefix and its run id until it is published.
pub const BUILDING_PREFIX: &str = ".building-";

/// A snapshot being removed by the retention policy is first renamed with
/// this prefix, so a kill half way through removing it never leaves a
/// half-deleted folder that looks like a snapshot (the next run removes it).
pub const PRUNING_PREFIX: &str = ".pruning-";

/// The restricted area's previous contents while a swap is under way.
pub const OLD_RESTRICTED: &str = ".old";

/// The research tier, relative to a snapshot: the lake, the warehouse and
/// the marts, readable only by the research group (see `[access]`).
pub const RESEARCH: &str = "research";

/// The warehouse file, relative to a snapshot.
pub const WAREHOUSE_DB: &str = "research/warehouse/tafteesh.duckdb";

/// A run's id, which names its snapshot: the time it started, UTC, to the
/// millisecond (`20261122T183217115Z`), so ids sort by time.
pub fn run_id(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%.3fZ").to_string().replace('.', "")
}

/// When a run id (`20261122T183217115Z`) was made.
pub fn created_at(id: &str) -> Option<DateTime<Utc>> {
    let stamp = id.get(..15)?;
    let seconds = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").ok()?.and_utc();
    // The milliseconds, when the id has them: two runs in one second keep their order.
    let ms = id
        .get(15..18)
        .filter(|m| m.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|m| m.parse::<i64>().ok())
        .unwrap_or(0);
    Some(seconds + chrono::Duration::milliseconds(ms))
}

/// The folders and files under one `output/` folder.
#[derive(Debug, Clone)]
pub struct Layout {
    output: PathBuf,
}

impl Layout {
    pub fn new(output: &Path) -> Layout {
        Layout {
            output: output.to_path_buf(),
        }
    }

    /// The `output/` folder itself.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// De-identified study extracts (`tafteesh extract`): outside the
    /// snapshots, which retention prunes, and outside the restricted area.
    pub fn extract(&self, study: &str, snapshot_id: &str) -> PathBuf {
        self.output.join("extracts").join(study).join(snapshot_id)
    }

    /// A study extract being written.
    pub fn extract_building(&self, study: &str, snapshot_id: &str) -> PathBuf {
        self.output
            .join("extracts")
            .join(study)
            .join(format!("{BUILDING_PREFIX}{snapshot_id}"))
    }

    /// The run lock's file.
    pub fn lock(&self) -> PathBuf {
        self.output.join(".lock")
    }

    /// The run ledger: one JSON line per run.
    pub fn ledger(&self) -> PathBuf {
        self.output.join("ledger.jsonl")
    }

    /// The folder of published snapshots.
    pub fn snapshots(&self) -> PathBuf {
        self.output.join("snapshots")
    }

    /// Published snapshot `id`.
    pub fn snapshot(&self, id: &str) -> SnapshotDir {
        SnapshotDir(self.snapshots().join(id))
    }

    /// Where run `run_id` builds its snapshot.
    pub fn building(&self, run_id: &str) -> SnapshotDir {
        SnapshotDir(self.snapshots().join(format!("{BUILDING_PREFIX}{run_id}")))
    }

    /// The `current` link, naming the published snapshot.
    pub fn current(&self) -> PathBuf {
        self.output.join("current")
    }

    /// The id of the snapshot `current` names, if any.
    pub fn current_id(&self) -> Option<String> {
        std::fs::read_link(self.current())
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
    }

    /// The published snapshot, read through the `current` link.
    pub fn current_snapshot(&self) -> SnapshotDir {
        SnapshotDir(self.current())
    }

    /// The link being made before it is renamed over `current`.
    pub fn current_tmp(&self) -> PathBuf {
        self.output.join(".current.tmp")
    }

    /// What the `current` link holds for snapshot `id` (relative, so the
    /// output folder can be moved).
    pub fn current_target(id: &str) -> PathBuf {
        Path::new("snapshots").join(id)
    }

    /// Where snapshot `id` goes while the retention policy removes it.
    pub fn pruning(&self, id: &str) -> PathBuf {
        self.snapshots().join(format!("{PRUNING_PREFIX}{id}"))
    }

    /// The indicator history's root: the research tier's readers only.
    pub fn history_root(&self) -> PathBuf {
        self.output.join("history")
    }

    /// Every published run's indicator values, one Parquet file per run.
    pub fn history(&self) -> PathBuf {
        self.history_root().join("indicator_values")
    }

    /// History files a run found unreadable, moved aside so the nights
    /// after go on (see [`crate::warehouse::history`]).
    pub fn history_unreadable(&self) -> PathBuf {
        self.history_root().join("unreadable")
    }

    /// Published run `id`'s indicator values in the history folder.
    pub fn history_run(&self, id: &str) -> PathBuf {
        self.history().join(format!("{id}.parquet"))
    }

    /// The restricted area's root (owner-only).
    pub fn restricted_root(&self) -> PathBuf {
        self.output.join("restricted")
    }

    /// The restricted area of the current snapshot.
    pub fn restricted_latest(&self) -> RestrictedDir {
        RestrictedDir(self.restricted_root().join("latest"))
    }

    /// The restricted area's previous contents while a swap is under way.
    pub fn restricted_old(&self) -> PathBuf {
        self.restricted_root().join(OLD_RESTRICTED)
    }

    /// Where run `run_id` builds its restricted area.
    pub fn restricted_building(&self, run_id: &str) -> RestrictedDir {
        RestrictedDir(self.restricted_root().join(format!("{BUILDING_PREFIX}{run_id}")))
    }
}

/// One snapshot's folder (published, being built, or `current`).
#[derive(Debug, Clone)]
pub struct SnapshotDir(pub PathBuf);

impl SnapshotDir {
    /// What every published snapshot holds; one that lacks any of them was
    /// not (or is no longer) whole.
    pub const PARTS: [&'static str; 5] = [
        "run.json",
        "manifest.json",
        WAREHOUSE_DB,
        "reports/index.html",
        "research/lake",
    ];

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The research tier: the lake, the warehouse and the marts.
    pub fn research(&self) -> PathBuf {
        self.0.join(RESEARCH)
    }

    /// The snapshot's own lake, `lake/<table>/<partner>.parquet`: every
    /// cleaned row with the partner's references (pseudonymised), the
    /// tokens, dates of birth and each row's file and row, and the
    /// linkage's bridges and data-quality findings. What the next run
    /// carries over, linkage and the packs read, and the research lake is
    /// projected from; the job's user's alone (like the restricted area,
    /// but one per snapshot, so a rollback carries its own).
    pub fn lake(&self) -> PathBuf {
        self.0.join("lake")
    }

    /// The lake to read this snapshot's rows from, whichever version
    /// published it: its own [`lake`](Self::lake), or in a snapshot
    /// published before the research tier was minimal, `research/lake`,
    /// which then held every column (a minimal research lake holds no
    /// linkage bridge, so it is never taken for one).
    pub fn full_lake(&self) -> PathBuf {
        let own = self.lake();
        let before = self.research_lake();
        if !own.is_dir() && before.join("link_survivors").is_dir() {
            before
        } else {
            own
        }
    }

    /// Whether the research tier is the minimal one (a projection beside
    /// the snapshot's own lake); one published before holds tokens and
    /// references, and is closed to its readers (see `run::publish`).
    pub fn has_minimal_research_tier(&self) -> bool {
        self.lake().is_dir() && self.research().is_dir()
    }

    /// The research tier's lake, `research/lake/<table>/<partner>.parquet`:
    /// the snapshot's lake with the columns the research tier may hold
    /// (see `warehouse::research_lake`).
    pub fn research_lake(&self) -> PathBuf {
        self.research().join("lake")
    }

    pub fn warehouse_dir(&self) -> PathBuf {
        self.research().join("warehouse")
    }

    pub fn warehouse_db(&self) -> PathBuf {
        self.0.join(WAREHOUSE_DB)
    }

    /// The warehouse's tables and published indicator values as Parquet,
    /// for engines that cannot open a DuckDB file (`research/marts/<name>.parquet`).
    pub fn marts(&self) -> PathBuf {
        self.research().join("marts")
    }

    /// One mart's Parquet file.
    pub fn mart(&self, name: &str) -> PathBuf {
        self.marts().join(format!("{name}.parquet"))
    }

    /// Scratch file for loading the ledger into the warehouse.
    pub fn ledger_scratch(&self) -> PathBuf {
        self.warehouse_dir().join(".run_ledger.jsonl")
    }

    pub fn reports(&self) -> PathBuf {
        self.0.join("reports")
    }

    /// What the run did (`RunSummary`).
    pub fn run_json(&self) -> PathBuf {
        self.0.join("run.json")
    }

    /// What the snapshot was built from.
    pub fn manifest(&self) -> PathBuf {
        self.0.join("manifest.json")
    }

    /// The run's own ledger line, kept in its snapshot so that a run killed
    /// between publishing and appending it can have it appended by the next.
    pub fn ledger_entry(&self) -> PathBuf {
        self.0.join("ledger_entry.json")
    }
}

/// One restricted area (`latest` or one being built): plaintext, owner-only.
#[derive(Debug, Clone)]
pub struct RestrictedDir(pub PathBuf);

impl RestrictedDir {
    /// Its folders that hold one folder per partner, carried over together
    /// when a partner is unchanged.
    pub const PARTNER_AREAS: [&'static str; 3] = ["staged", "quarantine", "linkage"];

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Raw rows as read, per partner.
    pub fn staged(&self) -> PathBuf {
        self.0.join("staged")
    }

    /// Rejected rows and their reasons, per partner.
    pub fn quarantine(&self) -> PathBuf {
        self.0.join("quarantine")
    }

    /// Plaintext linkage fields per partner, and the trained model.
    pub fn linkage(&self) -> PathBuf {
        self.0.join("linkage")
    }

    /// Partner `partner`'s plaintext linkage fields, one file a table.
    pub fn linkage_dir(&self, partner: &str) -> PathBuf {
        self.linkage().join(partner)
    }

    /// Partner `partner`'s plaintext linkage fields of `table`.
    pub fn linkage_file(&self, partner: &str, table: &str) -> PathBuf {
        self.linkage_dir(partner).join(format!("{table}.parquet"))
    }

    /// What linkage keeps from one night to the next (see
    /// `tafteesh_linkage::state`).
    pub fn linkage_state(&self) -> PathBuf {
        self.linkage().join("state.bin")
    }

    /// The trained linkage model (its term frequencies derive from names),
    /// or the explained one `tafteesh link` writes.
    pub fn linkage_model(&self, explained: bool) -> PathBuf {
        self.linkage().join(if explained {
            "model-explained.json"
        } else {
            "model.json"
        })
    }

    /// Each partner's data-quality pack, written anew every run.
    pub fn packs(&self) -> PathBuf {
        self.0.join("packs")
    }

    /// The file that names the run which wrote this area.
    pub fn run_id_marker(&self) -> PathBuf {
        self.0.join("run_id")
    }

    /// The run's own indicator values, unsuppressed, copied into the
    /// history once the run is published: kept here rather than in the
    /// snapshot, where the unsuppressed figures are only in the warehouse.
    pub fn history_file(&self) -> PathBuf {
        self.0.join("indicator_values.parquet")
    }

    /// Every inbox entry's alias and real name (see [`crate::aliases`]).
    pub fn file_names(&self) -> PathBuf {
        self.0.join("file_names.csv")
    }

    /// Partner `partner`'s staged raw rows (see [`staged_file`]).
    pub fn staged_dir(&self, partner: &str) -> PathBuf {
        self.staged().join(partner)
    }

    /// Partner `partner`'s quarantine (see [`quarantine_rows`]).
    pub fn quarantine_dir(&self, partner: &str) -> PathBuf {
        self.quarantine().join(partner)
    }

    /// Partner `partner`'s data-quality workbook.
    pub fn pack(&self, partner: &str) -> PathBuf {
        self.packs().join(format!("{partner}-data-quality.xlsx"))
    }
}

/// In a partner's staged folder: the raw rows source `source_index` of its
/// pipeline read from the file published as `alias`.
pub fn staged_file(dir: &Path, source_index: usize, alias: &str) -> PathBuf {
    dir.join(format!("s{source_index}__{}.parquet", file_part(alias)))
}

/// In a partner's quarantine folder: every quarantined row, with its reasons.
pub fn quarantine_rows(dir: &Path) -> PathBuf {
    dir.join("quarantine.parquet")
}

/// In a partner's quarantine folder: one file's quarantined rows as a sheet
/// for the partner's data officer.
pub fn quarantine_sheet(dir: &Path, alias: &str) -> PathBuf {
    dir.join(format!("{}.quarantine.csv", file_part(alias)))
}

/// In a partner's quarantine folder: the place spellings the gazetteer lacks.
pub fn unknown_places(dir: &Path) -> PathBuf {
    dir.join("unknown_places.csv")
}

/// An alias's last part (`file-…` of `<owner>/file-…`).
fn file_part(alias: &str) -> &str {
    alias.rsplit('/').next().unwrap_or(alias)
}

/// The lake: `<table>/<partner>.parquet`, and the consortium's and the
/// contested files' parts beside them.
pub mod lake {
    use std::path::{Path, PathBuf};

    /// The file of a lake table that linkage writes across partners.
    pub const CONSORTIUM: &str = "consortium";

    /// The folder of `table` in the lake at `lake`, one Parquet file a part.
    pub fn table_dir(lake: &Path, table: &str) -> PathBuf {
        lake.join(table)
    }

    /// Partner `pid`'s part of `table` in the lake at `lake` (or the
    /// consortium's, or the contested files').
    pub fn part(lake: &Path, table: &str, pid: &str) -> PathBuf {
        table_dir(lake, table).join(format!("{pid}.parquet"))
    }

    /// Every file of `table` in the lake at `lake`, as a glob for DuckDB's
    /// `read_parquet`: the partners' parts and the consortium file.
    pub fn table_glob(lake: &Path, table: &str) -> PathBuf {
        table_dir(lake, table).join("*.parquet")
    }

    /// A lake table's file of what linkage derives across partners.
    pub fn consortium(lake: &Path, table: &str) -> PathBuf {
        part(lake, table, CONSORTIUM)
    }

    /// The accounting of the files several partners claim (or none may
    /// read). Not `_contested`: Spark and pyarrow skip names that start
    /// with `_` or `.`; and a partner id cannot hold a `-`.
    pub fn contested(lake: &Path) -> PathBuf {
        part(lake, "load_files", "contested-files")
    }
}

/// The files every run writes to a snapshot's `reports/`.
pub mod reports {
    /// The dashboard.
    pub const DASHBOARD: &str = "index.html";
    /// The dashboard in Bengali, beside it.
    pub const DASHBOARD_BN: &str = "index.bn.html";
    /// How survivors were linked (written by the link stage).
    pub const LINKAGE: &str = "linkage.html";
    pub const WORKBOOK: &str = "tafteesh-indicators.xlsx";
    pub const CSV: &str = "indicators.csv";
    pub const CODEBOOK: &str = "codebook.md";
    /// Entitlements pending more than 90 days, a printable page per block.
    pub const BLOCKS: &str = "blocks.html";
}

/// A research extract's folder (see [`Layout::extract`]).
pub mod extract {
    use std::path::{Path, PathBuf};

    /// What the extract holds and how it was made.
    pub fn manifest(dir: &Path) -> PathBuf {
        dir.join("extract.json")
    }

    /// Its codebook.
    pub fn codebook(dir: &Path) -> PathBuf {
        dir.join("codebook.md")
    }

    /// Table `name` of the extract, as `ext` (`parquet`, `csv`).
    pub fn table(dir: &Path, name: &str, ext: &str) -> PathBuf {
        dir.join(format!("{name}.{ext}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_carry_their_time() {
        let t = created_at("20261122T183217115Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T18:32:17.115+00:00");
        assert_eq!(run_id(t), "20261122T183217115Z");
        assert!(created_at("20261122T183217115Z") > created_at("20261122T183217114Z"));
        assert!(created_at("junk").is_none());
    }

    #[test]
    fn building_folders_are_hidden_and_named_after_the_run() {
        let l = Layout::new(Path::new("/o"));
        assert_eq!(l.building("r1").path(), Path::new("/o/snapshots/.building-r1"));
        assert_eq!(
            l.restricted_building("r1").path(),
            Path::new("/o/restricted/.building-r1")
        );
        assert_eq!(
            l.snapshot("r1").warehouse_db(),
            Path::new("/o/snapshots/r1/research/warehouse/tafteesh.duckdb")
        );
        assert_eq!(l.snapshot("r1").lake(), Path::new("/o/snapshots/r1/lake"));
        assert_eq!(
            l.snapshot("r1").research_lake(),
            Path::new("/o/snapshots/r1/research/lake")
        );
        assert_eq!(
            l.snapshot("r1").mart("dim_people"),
            Path::new("/o/snapshots/r1/research/marts/dim_people.parquet")
        );
        assert_eq!(Layout::current_target("r1"), Path::new("snapshots/r1"));
    }

    #[test]
    fn a_snapshot_of_any_version_is_read_from_its_whole_lake() {
        let dir = tempfile::tempdir().unwrap();
        let snap = SnapshotDir(dir.path().to_path_buf());
        // Before the research tier was minimal: the whole lake under research/.
        std::fs::create_dir_all(snap.research_lake().join("link_survivors")).unwrap();
        assert_eq!(snap.full_lake(), snap.research_lake());
        assert!(!snap.has_minimal_research_tier());
        // Now: its own lake, and a research lake with no linkage bridge.
        std::fs::create_dir_all(snap.lake().join("link_survivors")).unwrap();
        assert_eq!(snap.full_lake(), snap.lake());
        assert!(snap.has_minimal_research_tier());
        // A minimal research lake is never taken for the whole one.
        std::fs::remove_dir_all(snap.lake()).unwrap();
        std::fs::remove_dir_all(snap.research_lake().join("link_survivors")).unwrap();
        std::fs::create_dir_all(snap.research_lake().join("survivors")).unwrap();
        assert_eq!(snap.full_lake(), snap.lake());
    }
}
