//! The warehouse's marts as Parquet, for the engines that cannot open a
//! DuckDB file: Spark has no DuckDB source, and a JDBC driver jar is one
//! more thing a research team must fetch and trust. Every mart model
//! (`dim_*`, `fct_*`, the bridges) and the published, suppressed indicator
//! values are written to `research/marts/<name>.parquet` from the finished
//! warehouse, so the two hold the same rows. The unsuppressed values stay
//! in the warehouse only.
//!
//! Parquet has no column comments, so each file carries the warehouse's
//! in its key-value metadata: `comment` for the table, `comment:<column>`
//! for each column (pyarrow: `pq.read_schema(f).metadata`; Spark:
//! `spark.read.parquet` keeps them in the footer, `parquet-tools meta`
//! shows them).

use std::path::Path;

use duckdb::Connection;

use super::StepTiming;
use super::build::{Job, run_jobs};
use super::catalogue::Project;
use super::sql_string;
use crate::error::{Error, Result};

/// What goes to `research/marts/`: the mart models, then the published values.
pub fn names(project: &Project) -> Vec<String> {
    project
        .models
        .iter()
        .filter(|m| m.layer == "marts")
        .map(|m| m.name.clone())
        .chain([crate::suppress::PUBLISHED_VIEW.to_string()])
        .collect()
}

/// Write every mart of the warehouse `conn` into `dir`; each one's timing,
/// in the order they ended.
///
/// Two at a time, on two connections, by the build's own job runner: most
/// marts are small, and a small table's COPY runs on one core (the
/// by-scope marts are views, computed as they are written). Each file is
/// the same whichever connection writes it.
pub fn write(conn: &Connection, project: &Project, dir: &Path) -> Result<Vec<StepTiming>> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let names = names(project);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
    let mut conns: Vec<Connection> = (0..workers)
        .map(|_| {
            conn.try_clone()
                .map_err(Error::warehouse("opening a connection to write the marts"))
        })
        .collect::<Result<_>>()?;
    let jobs: Vec<Job<'_>> = names
        .iter()
        .map(|name| Job {
            step: format!("parquet {name}"),
            after: vec![],
            run: Box::new(move |c: &Connection| write_one(c, name, dir).map(|()| (0, 0))),
        })
        .collect();
    Ok(run_jobs(&mut conns, &jobs)?.1)
}

/// Write the mart `name` to `dir/<name>.parquet`, with its comments.
fn write_one(conn: &Connection, name: &str, dir: &Path) -> Result<()> {
    let path = dir.join(format!("{name}.parquet"));
    let metadata = metadata(conn, name)?;
    let kv = if metadata.is_empty() {
        String::new()
    } else {
        format!(", kv_metadata {{{metadata}}}")
    };
    conn.execute_batch(&format!(
        "copy (select * from main.\"{name}\") to {} (format parquet, compression zstd{kv})",
        sql_string(&path.to_string_lossy())
    ))
    .map_err(Error::warehouse(format!("writing the mart {name} as Parquet")))
}

/// The table's and its columns' comments, as the entries of a DuckDB struct
/// (`'comment': '…', 'comment:<column>': '…'`).
fn metadata(conn: &Connection, name: &str) -> Result<String> {
    let ctx = || Error::warehouse(format!("reading the comments of {name}"));
    let table: Option<String> = conn
        .query_row(
            "select comment from duckdb_tables() where database_name = current_database() and schema_name = 'main' and table_name = ?1
             union all
             select comment from duckdb_views() where database_name = current_database() and schema_name = 'main' and view_name = ?1",
            [name],
            |r| r.get(0),
        )
        .map_err(ctx())?;
    let mut stmt = conn
        .prepare(
            "select column_name, comment from duckdb_columns()
             where database_name = current_database() and schema_name = 'main' and table_name = ?1 and comment is not null
             order by column_index",
        )
        .map_err(ctx())?;
    let columns: Vec<(String, String)> = stmt
        .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(ctx())?;
    let entries = table
        .map(|t| ("comment".to_string(), t))
        .into_iter()
        .chain(columns.into_iter().map(|(c, text)| (format!("comment:{c}"), text)))
        .map(|(k, v)| format!("{}: {}", sql_string(&k), sql_string(&v)))
        .collect::<Vec<_>>();
    Ok(entries.join(", "))
}
