//! The indicator history: every published run's indicator values, one
//! Parquet file per run under `output/history/indicator_values/`, kept in
//! each new warehouse as `indicator_history` so trends across nightly runs
//! show and a past report can be reproduced.
//!
//! Copying every run's figures into every night's file grew each night's
//! build, and every snapshot's warehouse, by one run's figures, though most
//! figures hold from one run to the next. So the warehouse keeps validity ranges: `indicator_history_runs`
//! numbers the runs (`seq`), `indicator_history_spans` holds each figure
//! once per stretch of consecutive runs it held in (`first_seq` to
//! `last_seq`), and the view `indicator_history` expands them to one row per
//! run as before. A night carries the previous warehouse's two tables
//! forward and adds its own figures: a span the last run held and tonight
//! holds too is extended, a figure new tonight starts one. That is only
//! sound when the previous warehouse holds exactly the runs of the history
//! folder with the same columns; otherwise (the first night, a rollback, a
//! new column) the spans are rebuilt from the folder's files. Either way the
//! view holds every (figure, run) of the files and tonight's figures once,
//! which a test holds the two paths to.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::BuildOptions;
use super::sql_string;
use crate::error::{Error, Result};
use crate::layout::{Layout, created_at};

/// The view over the history, one row per run and figure.
pub const VIEW: &str = "indicator_history";

/// The previous warehouse, while its history is read.
const PREVIOUS: &str = "tafteesh_previous";

/// Build `indicator_history_runs`, `indicator_history_spans` and the view
/// `indicator_history`: every published run's indicator values (the files
/// in the history folder) and this run's, each with its run_id, the date
/// its figures are as of and the time the run started (UTC).
pub fn load(conn: &Connection, opts: &BuildOptions<'_>) -> Result<()> {
    let err = || Error::warehouse("building indicator_history");
    let earlier: Vec<PathBuf> = run_files(opts.history)?
        .into_iter()
        .filter(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() != opts.run_id))
        .collect();
    let figures = figure_columns(conn)?;
    let carried = match opts.previous {
        Some(prev) if prev.is_file() => carry(conn, prev, &earlier, &figures)?,
        _ => false,
    };
    // The files are read once; only when that fails is each tried on its
    // own, and those that cannot be read are set aside.
    if !carried && let Err(e) = rebuild(conn, &earlier, &figures) {
        let readable = set_aside_unreadable(conn, &earlier, opts.history_unreadable)?;
        if readable.len() == earlier.len() {
            return Err(e);
        }
        rebuild(conn, &readable, &figures)?;
    }
    add_tonight(conn, opts, &figures)?;
    conn.execute_batch(&format!(
        "create view {VIEW} as
         select s.* exclude (first_seq, last_seq), r.run_id, r.as_of, r.run_at
         from indicator_history_spans s join indicator_history_runs r on r.seq between s.first_seq and s.last_seq"
    ))
    .map_err(err())
}

/// The history folder's run files (`<run_id>.parquet`, one per published
/// run); none while the folder does not exist yet.
pub fn run_files(dir: &Path) -> Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(Error::io(dir)(e)),
    }
}

/// indicator_values' columns but run_id, with their types, in order: what
/// makes one figure.
fn figure_columns(conn: &Connection) -> Result<Vec<(String, String)>> {
    columns_of(conn, None, "indicator_values")
        .map(|cols| cols.into_iter().filter(|(name, _)| name != "run_id").collect())
}

/// A table's columns in `catalog` (an attached database), else in this one.
fn columns_of(conn: &Connection, catalog: Option<&str>, table: &str) -> Result<Vec<(String, String)>> {
    let ctx = || Error::warehouse(format!("reading the columns of {table}"));
    let mut stmt = conn
        .prepare(
            "select column_name, data_type from information_schema.columns
             where table_catalog = coalesce(?1, current_database()) and table_schema = 'main' and table_name = ?2
             order by ordinal_position",
        )
        .map_err(ctx())?;
    stmt.query_map(duckdb::params![catalog, table], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(ctx())
}

/// Carry the previous warehouse's runs and spans into this one, when it
/// holds exactly the runs of `earlier` with these figure columns. Returns
/// whether it did (and logs why not).
fn carry(conn: &Connection, prev: &Path, earlier: &[PathBuf], figures: &[(String, String)]) -> Result<bool> {
    let err = || Error::warehouse("carrying the indicator history forward");
    if conn
        .execute_batch(&format!(
            "attach {} as {PREVIOUS} (read_only)",
            sql_string(&prev.to_string_lossy())
        ))
        .is_err()
    {
        tracing::info!("the previous warehouse cannot be opened: the indicator history is rebuilt from its files");
        return Ok(false);
    }
    let verdict = (|| -> Result<Option<&'static str>> {
        let mut spans = columns_of(conn, Some(PREVIOUS), "indicator_history_spans")?;
        if spans.is_empty() || columns_of(conn, Some(PREVIOUS), "indicator_history_runs")?.is_empty() {
            return Ok(Some("the previous warehouse keeps no validity ranges"));
        }
        spans.retain(|(name, _)| name != "first_seq" && name != "last_seq");
        if spans != figures {
            return Ok(Some("the figures' columns changed"));
        }
        let mut stmt = conn
            .prepare(&format!("select run_id from {PREVIOUS}.indicator_history_runs"))
            .map_err(err())?;
        let held: BTreeSet<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(err())?;
        let files: BTreeSet<String> = earlier
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        if held != files {
            return Ok(Some("the previous warehouse's runs are not the history folder's"));
        }
        conn.execute_batch(&format!(
            "create table indicator_history_runs as select * from {PREVIOUS}.indicator_history_runs;
             create table indicator_history_spans as select * from {PREVIOUS}.indicator_history_spans;"
        ))
        .map_err(err())?;
        Ok(None)
    })();
    conn.execute_batch(&format!("detach {PREVIOUS}")).map_err(err())?;
    match verdict? {
        None => Ok(true),
        Some(why) => {
            tracing::info!("{why}: the indicator history is rebuilt from its files");
            Ok(false)
        }
    }
}

/// The files of `earlier` DuckDB reads whole; each other one (cut short,
/// overwritten, not Parquet) is moved to `unreadable` with a warning that
/// names what is lost and how to get it back, so one bad file does not
/// stop every night after it. A night's figures never depend on the
/// history: only the trend loses that run.
fn set_aside_unreadable(conn: &Connection, earlier: &[PathBuf], unreadable: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::with_capacity(earlier.len());
    for file in earlier {
        let reads = conn
            .query_row(
                &format!(
                    "select count(*) from (select * from read_parquet({}))",
                    sql_string(&file.to_string_lossy())
                ),
                [],
                |r| r.get::<_, i64>(0),
            )
            .is_ok();
        if reads {
            out.push(file.clone());
            continue;
        }
        let name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let aside = unreadable.join(&name);
        std::fs::create_dir_all(unreadable).map_err(Error::io(unreadable))?;
        std::fs::rename(file, &aside).map_err(Error::io(file))?;
        let run = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        tracing::warn!(
            file = %file.display(),
            moved_to = %aside.display(),
            "a history file cannot be read (cut short or overwritten): it was moved aside, and run {run}'s figures \
             are missing from indicator_history. To restore them, copy that run's file back from a backup into {}, \
             or, while snapshot {run} is kept, export them from its warehouse: \
             COPY (SELECT * FROM indicator_history WHERE run_id = '{run}') TO '{run}.parquet' (FORMAT parquet); \
             the next run reads it again",
            file.parent().map(|p| p.display().to_string()).unwrap_or_default()
        );
    }
    Ok(out)
}

/// Build the runs and spans of `earlier` from the files: each figure's
/// runs numbered in order, and each stretch of consecutive runs it held in
/// one span (gaps and islands).
fn rebuild(conn: &Connection, earlier: &[PathBuf], figures: &[(String, String)]) -> Result<()> {
    let err = || Error::warehouse("rebuilding indicator_history from the history folder");
    let defs: Vec<String> = figures.iter().map(|(n, t)| format!("\"{n}\" {t}")).collect();
    conn.execute_batch(&format!(
        "create or replace table indicator_history_runs (run_id varchar, as_of date, run_at timestamp, seq bigint);
         create or replace table indicator_history_spans ({}, first_seq bigint, last_seq bigint);",
        defs.join(", ")
    ))
    .map_err(err())?;
    if earlier.is_empty() {
        return Ok(());
    }
    let list = earlier
        .iter()
        .map(|p| sql_string(&p.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ");
    let cols = quoted(figures);
    // By name into the full set of columns: a run from before a column
    // existed still loads, that column null.
    conn.execute_batch(&format!(
        "create or replace temp table history_files ({}, run_id varchar, as_of date, run_at timestamp);
         insert into history_files by name
         select * from read_parquet([{list}], union_by_name = true);
         insert into indicator_history_runs
         select run_id, as_of, run_at, row_number() over (order by run_at nulls first, run_id)
         from (select run_id, any_value(as_of) as as_of, any_value(run_at) as run_at
               from history_files group by run_id);
         insert into indicator_history_spans
         select {cols}, min(seq), max(seq) from (
             select h.*, r.seq, r.seq - row_number() over (partition by {cols} order by r.seq) as island
             from history_files h join indicator_history_runs r using (run_id)
         ) group by {cols}, island;
         drop table history_files;",
        defs.join(", ")
    ))
    .map_err(err())
}

/// Add this run: numbered after every earlier run; each span the last run
/// held and tonight holds too extended, each other figure of tonight a new
/// span.
fn add_tonight(conn: &Connection, opts: &BuildOptions<'_>, figures: &[(String, String)]) -> Result<()> {
    let err = || Error::warehouse("adding this run to indicator_history");
    let run_at = run_at(opts.run_id);
    let same = figures
        .iter()
        .map(|(n, _)| format!("s.\"{n}\" is not distinct from t.\"{n}\""))
        .collect::<Vec<_>>()
        .join(" and ");
    let cols = quoted(figures);
    conn.execute_batch(&format!(
        "set variable history_last = (select coalesce(max(seq), 0) from indicator_history_runs);
         insert into indicator_history_runs
         values ({run}, date '{as_of}', {run_at}, getvariable('history_last') + 1);
         update indicator_history_spans s set last_seq = getvariable('history_last') + 1
         from indicator_values t
         where s.last_seq = getvariable('history_last') and {same};
         insert into indicator_history_spans
         select {cols}, getvariable('history_last') + 1, getvariable('history_last') + 1
         from indicator_values t
         where not exists (
             select 1 from indicator_history_spans s
             where s.last_seq = getvariable('history_last') + 1 and s.first_seq <= getvariable('history_last')
               and {same});",
        run = sql_string(opts.run_id),
        as_of = opts.as_of.format("%Y-%m-%d"),
    ))
    .map_err(err())
}

fn quoted(columns: &[(String, String)]) -> String {
    columns
        .iter()
        .map(|(n, _)| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Write this run's indicator values to `file`, with its as_of date and
/// start time, to be added to the history folder when the run is
/// published. Read from `indicator_values`, not from the view, so the files
/// stay an account of each run that the view is checked against.
pub fn export_run(conn: &Connection, opts: &BuildOptions<'_>, file: &Path) -> Result<()> {
    conn.execute_batch(&format!(
        "copy (select *, date '{as_of}' as as_of, {run_at} as run_at from indicator_values) to {} (format parquet)",
        sql_string(&file.to_string_lossy()),
        as_of = opts.as_of.format("%Y-%m-%d"),
        run_at = run_at(opts.run_id),
    ))
    .map_err(Error::warehouse(format!("writing {}", file.display())))
}

/// The run's start time as SQL, from its id (null if the id is not one).
fn run_at(run_id: &str) -> String {
    created_at(run_id)
        .map(|t| format!("timestamp '{}'", t.format("%Y-%m-%d %H:%M:%S")))
        .unwrap_or_else(|| "null::timestamp".into())
}

/// Add a published snapshot's indicator values to the history folder (an
/// atomic rename, so a crash leaves the file whole or absent). Done after
/// the snapshot is published, and again by the next run for a snapshot
/// whose run died before it could: a history file exists only for a run
/// that was published.
pub fn record(layout: &Layout, snapshot_id: &str) -> Result<()> {
    // In the run's restricted area: still being built until it is swapped
    // in, the latest one after (the next run's recovery).
    let building = layout.restricted_building(snapshot_id);
    let latest = layout.restricted_latest();
    let from = if building.history_file().exists() {
        building.history_file()
    } else if std::fs::read_to_string(latest.run_id_marker()).is_ok_and(|id| id.trim() == snapshot_id) {
        latest.history_file()
    } else {
        return Ok(());
    };
    let dir = layout.history();
    let to = layout.history_run(snapshot_id);
    if to.exists() || !from.exists() {
        return Ok(());
    }
    // Owner-only when made: the publish then hands the history to the
    // research tier's readers.
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(Error::io(&dir))?;
    }
    let tmp = dir.join(format!(".{snapshot_id}.parquet.tmp"));
    std::fs::copy(&from, &tmp).map_err(Error::io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &to).map_err(Error::io(&to))
}
