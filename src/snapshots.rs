//! Published snapshots: listing them, and pruning the old ones by the
//! retention policy so a past figure can be reproduced without the disk
//! filling up. The current snapshot is never removed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::Retention;
use crate::error::{Error, Result};

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

/// A snapshot being removed by the retention policy is first renamed with
/// this prefix, so a kill half way through removing it never leaves a
/// half-deleted folder that looks like a snapshot (the next run removes it).
pub const PRUNING_PREFIX: &str = ".pruning-";

/// What every published snapshot holds; one that lacks any of them was not
/// (or is no longer) whole.
pub const SNAPSHOT_PARTS: [&str; 5] = [
    "run.json",
    "manifest.json",
    "warehouse/tafteesh.duckdb",
    "reports/index.html",
    "lake",
];

/// Why snapshot `id` cannot be made current: it was never published (no
/// `published` line in the ledger), or it is not whole.
pub fn check_publishable(output: &Path, id: &str) -> std::result::Result<(), String> {
    let dir = output.join("snapshots").join(id);
    let missing: Vec<&str> = SNAPSHOT_PARTS
        .iter()
        .copied()
        .filter(|p| !dir.join(p).exists())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "snapshot `{id}` is incomplete (it lacks {})",
            missing.join(", ")
        ));
    }
    let manifest_id = crate::manifest::Manifest::read(&dir).map(|m| m.run_id);
    if manifest_id.as_deref() != Some(id) {
        return Err(format!("snapshot `{id}` has no manifest of its own run"));
    }
    let published = crate::ledger::read(output)
        .map_err(|e| e.to_string())?
        .iter()
        .any(|e| e.run_id == id && e.status == crate::ledger::RunStatus::Published);
    if !published {
        return Err(format!(
            "snapshot `{id}` was never published (the ledger has no `published` line for it)"
        ));
    }
    Ok(())
}

/// When a run id (`20261122T183217115Z`) was made.
pub fn created_at(id: &str) -> Option<DateTime<Utc>> {
    let stamp = id.get(..15)?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

/// The id of the snapshot `output/current` names, if any.
pub fn current_id(output: &Path) -> Option<String> {
    std::fs::read_link(output.join("current"))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// Point `output/current` at snapshot `id` in one atomic rename of a
/// symbolic link: a reader sees the old snapshot or the new, never neither.
pub fn make_current(output: &Path, id: &str) -> Result<()> {
    let current = output.join("current");
    let target = Path::new("snapshots").join(id);
    let tmp = output.join(".current.tmp");
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp).map_err(Error::io(&tmp))?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, target.to_string_lossy().as_bytes()).map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &current).map_err(Error::io(&current))
}

/// Every published snapshot, newest first.
pub fn list(output: &Path) -> Result<Vec<SnapshotInfo>> {
    let dir = output.join("snapshots");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let current = current_id(output);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(Error::io(&dir))? {
        let path = entry.map_err(Error::io(&dir))?.path();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if id.starts_with('.') || !path.is_dir() {
            continue;
        }
        let summary = std::fs::read(path.join("run.json"))
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
pub fn prune(output: &Path, policy: Retention, now: DateTime<Utc>) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for (rank, s) in list(output)?.into_iter().enumerate() {
        let young = s
            .created
            .is_some_and(|c| (now - c).num_days() < i64::from(policy.keep_days));
        if s.is_current || rank < policy.keep_last || young {
            continue;
        }
        let doomed = s.path.with_file_name(format!("{PRUNING_PREFIX}{}", s.id));
        std::fs::rename(&s.path, &doomed).map_err(Error::io(&s.path))?;
        std::fs::remove_dir_all(&doomed).map_err(Error::io(&doomed))?;
        tracing::info!(snapshot = %s.id, "snapshot removed by the retention policy");
        removed.push(s.id);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_carry_their_time() {
        let t = created_at("20261122T183217115Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T18:32:17+00:00");
        assert!(created_at("junk").is_none());
    }
}
