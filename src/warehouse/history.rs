//! The indicator history: every published run's indicator values, one
//! Parquet file per run under `output/history/indicator_values/`, loaded
//! into each new warehouse as `indicator_history` so trends across nightly
//! runs show and a past report can be reproduced.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::build::BuildOptions;
use super::sql_string;
use crate::error::{Error, Result};
use crate::layout::{Layout, created_at};

/// `indicator_history`: every published run's indicator values (the files
/// in the history folder) and this run's, each with its run_id, the date
/// its figures are as of and the time the run started (UTC), so trends
/// across nightly runs show and a past report can be reproduced.
pub fn load(conn: &Connection, opts: &BuildOptions<'_>) -> Result<()> {
    let err = || Error::warehouse("building indicator_history");
    let earlier: Vec<PathBuf> = match std::fs::read_dir(opts.history) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| e == "parquet")
                    && p.file_stem().is_some_and(|s| s.to_string_lossy() != opts.run_id)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(Error::io(opts.history)(e)),
    };
    let run_at = created_at(opts.run_id)
        .map(|t| format!("timestamp '{}'", t.format("%Y-%m-%d %H:%M:%S")))
        .unwrap_or_else(|| "null::timestamp".into());
    conn.execute_batch(&format!(
        "create table indicator_history as
         select *, date '{}' as as_of, {run_at} as run_at from indicator_values",
        opts.as_of.format("%Y-%m-%d")
    ))
    .map_err(err())?;
    if !earlier.is_empty() {
        let list = earlier
            .iter()
            .map(|p| sql_string(&p.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", ");
        // union_by_name: a run from before a column existed still loads.
        conn.execute_batch(&format!(
            "insert into indicator_history by name
             select * from read_parquet([{list}], union_by_name = true)"
        ))
        .map_err(err())?;
    }
    Ok(())
}

/// Write this run's indicator values (from `indicator_history`) to `file`,
/// to be added to the history folder when the run is published.
pub fn export_run(conn: &Connection, run_id: &str, file: &Path) -> Result<()> {
    conn.execute_batch(&format!(
        "copy (select * from indicator_history where run_id = {}) to {} (format parquet)",
        sql_string(run_id),
        sql_string(&file.to_string_lossy())
    ))
    .map_err(Error::warehouse(format!("writing {}", file.display())))
}

/// Add a published snapshot's indicator values to the history folder (an
/// atomic rename, so a crash leaves the file whole or absent). Done after
/// the snapshot is published, and again by the next run for a snapshot
/// whose run died before it could: a history file exists only for a run
/// that was published.
pub fn record(layout: &Layout, snapshot_id: &str) -> Result<()> {
    let from = layout.snapshot(snapshot_id).history_file();
    let dir = layout.history();
    let to = dir.join(format!("{snapshot_id}.parquet"));
    if to.exists() || !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let tmp = dir.join(format!(".{snapshot_id}.parquet.tmp"));
    std::fs::copy(&from, &tmp).map_err(Error::io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &to).map_err(Error::io(&to))
}
