//! Published snapshots: listing them, and pruning the old ones by the
//! retention policy so a past figure can be reproduced without the disk
//! filling up. The current snapshot is never removed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::ledger::{self, RunStatus};
use super::manifest::Manifest;
use crate::config::Retention;
use crate::error::{Error, Result};
use crate::layout::{Layout, SnapshotDir, created_at};

/// One published snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub id: String,
    pub path: PathBuf,
    pub created: Option<DateTime<Utc>>,
    pub is_current: bool,
    pub bytes: u64,
    /// The snapshot's `run.json`, if readable.
    pub summary: Option<serde_json::Value>,
}

/// Why snapshot `id` cannot be made current: it is not whole (see
/// [`check_whole`]), or it was never published (no `published` line in
/// the ledger).
pub fn check_publishable(layout: &Layout, id: &str) -> std::result::Result<(), String> {
    check_whole(layout, id)?;
    let published = ledger::read(layout)
        .map_err(|e| e.to_string())?
        .iter()
        .any(|e| e.run_id == id && e.status == RunStatus::Published);
    if !published {
        return Err(format!(
            "snapshot `{id}` was never published (the ledger has no `published` line for it)"
        ));
    }
    Ok(())
}

/// Why snapshot `id` is not whole: a part is missing or empty, its
/// manifest is not its own run's, or a Parquet file in it is cut short (it
/// lacks the footer every whole Parquet file ends with). Reads no more
/// than each file's last bytes, so a night that changes nothing can afford
/// it: a snapshot whose warehouse was deleted must not be kept night after
/// night as if it were fine.
pub fn check_whole(layout: &Layout, id: &str) -> std::result::Result<(), String> {
    let dir = layout.snapshot(id);
    let broken: Vec<&str> = SnapshotDir::PARTS
        .iter()
        .copied()
        .filter(|p| {
            let path = dir.path().join(p);
            match std::fs::metadata(&path) {
                Ok(m) => m.is_file() && m.len() == 0,
                Err(_) => true,
            }
        })
        .collect();
    if !broken.is_empty() {
        return Err(format!(
            "snapshot `{id}` is incomplete (it lacks {})",
            broken.join(", ")
        ));
    }
    let manifest_id = Manifest::read(&dir).map(|m| m.run_id);
    if manifest_id.as_deref() != Some(id) {
        return Err(format!("snapshot `{id}` has no manifest of its own run"));
    }
    if !is_duckdb_file(&dir.warehouse_db()) {
        return Err(format!(
            "snapshot `{id}`'s warehouse is not a DuckDB file (overwritten?)"
        ));
    }
    let mut cut = Vec::new();
    walk_parquet(dir.path(), &mut |path| {
        if !ends_as_parquet(path) {
            cut.push(path.strip_prefix(dir.path()).unwrap_or(path).display().to_string());
        }
    });
    if let Some(first) = cut.first() {
        return Err(format!(
            "snapshot `{id}` has {} Parquet file(s) cut short or overwritten ({first}{})",
            cut.len(),
            if cut.len() > 1 { ", ..." } else { "" }
        ));
    }
    Ok(())
}

fn walk_parquet(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk_parquet(&path, f),
            Ok(t) if t.is_file() && path.extension().is_some_and(|x| x == "parquet") => f(&path),
            _ => {}
        }
    }
}

/// Whether the file starts as every DuckDB database file does: its magic
/// `DUCK` after an 8-byte checksum.
fn is_duckdb_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[8..12] == b"DUCK"
}

/// Whether the file ends with Parquet's magic `PAR1`, as every whole
/// Parquet file does (its footer is written last).
fn ends_as_parquet(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::End(-4))?;
            f.read_exact(&mut magic)
        })
        .is_ok()
        && &magic == b"PAR1"
}

/// Point `output/current` at snapshot `id` in one atomic rename of a
/// symbolic link: a reader sees the old snapshot or the new, never neither.
pub fn make_current(layout: &Layout, id: &str) -> Result<()> {
    let current = layout.current();
    let target = Layout::current_target(id);
    let tmp = layout.current_tmp();
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp).map_err(Error::io(&tmp))?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, target.to_string_lossy().as_bytes()).map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &current).map_err(Error::io(&current))
}

/// The ids of every published snapshot (folders being built or pruned,
/// hidden, left out), in no order.
pub fn ids(layout: &Layout) -> Result<Vec<String>> {
    let dir = layout.snapshots();
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(Error::io(&dir))? {
        let path = entry.map_err(Error::io(&dir))?.path();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !id.starts_with('.') && path.is_dir() {
            out.push(id);
        }
    }
    Ok(out)
}

/// Every published snapshot, newest first.
pub fn list(layout: &Layout) -> Result<Vec<SnapshotInfo>> {
    let current = layout.current_id();
    let mut out = Vec::new();
    for id in ids(layout)? {
        let path = layout.snapshot(&id).0;
        let summary = std::fs::read(layout.snapshot(&id).run_json())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        out.push(SnapshotInfo {
            created: created_at(&id),
            is_current: current.as_deref() == Some(id.as_str()),
            bytes: dir_size(&path),
            summary,
            path,
            id,
        });
    }
    out.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(out)
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Remove the snapshots the policy does not keep; return their ids.
pub fn prune(layout: &Layout, policy: Retention, now: DateTime<Utc>) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for (rank, s) in list(layout)?.into_iter().enumerate() {
        let young = s
            .created
            .is_some_and(|c| (now - c).num_days() < i64::from(policy.keep_days));
        if s.is_current || rank < policy.keep_last || young {
            continue;
        }
        let doomed = layout.pruning(&s.id);
        std::fs::rename(&s.path, &doomed).map_err(Error::io(&s.path))?;
        std::fs::remove_dir_all(&doomed).map_err(Error::io(&doomed))?;
        tracing::info!(snapshot = %s.id, "snapshot removed by the retention policy");
        removed.push(s.id);
    }
    Ok(removed)
}
