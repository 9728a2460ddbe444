//! The research tier's lake and record keys: what of the snapshot's own
//! lake the research team may read, decided by what each column is.
//!
//! The snapshot's lake (`SnapshotDir::lake`, the job's user's alone) holds
//! every cleaned row with what the next run, linkage and the partner packs
//! need: the partner's references (keyed pseudonyms), the direct
//! identifiers' tokens, dates of birth, each row's file and row. A study
//! needs none of them, and each one lets someone single a person out: a
//! partner's staff can find a survivor by her reference, anyone holding a
//! token's plaintext can test it, a date of birth with a district nearly
//! names her. So `research/lake/` is a projection, built from the
//! canonical schemas' `research` declarations ([`ColumnSpec::research`]),
//! an allow-list by kind, never by whether a value looks personal:
//! - an enum, a boolean, a date, a number, a known place or scheme is kept
//!   as parsed;
//! - a date of birth keeps its year (`birth_year`);
//! - a partner's reference becomes a record key (`survivor_record_key`),
//!   the same wherever the record is named (the research lake, the marts'
//!   `dim_survivors`, `fct_cases`, `fct_compensation_claims`), stable from
//!   night to night while the job's key is, and unreadable without it;
//! - tokens, other identifiers (the FIR number), free text, and the row's
//!   file, row and hash are withheld.
//!
//! Beside the canonical tables, only the per-file tables written by alias
//! (`load_files`, `dq_fields`, `dq_unknown_places`) are copied as they are.
//! `dq_issues` (a finding per source row) and the linkage bridges (a
//! partner's reference per row) stay in the snapshot's lake: the marts
//! carry the keys linkage found.

use std::path::Path;

use duckdb::Connection;

use super::sql_string;
use crate::config::schema::{Research, TableSchema};
use crate::error::{Error, Result};

/// The lake's tables copied to the research lake as they are: one row per
/// source file (by alias) or per file and field, no record in them.
pub const AS_IS: [&str; 3] = ["load_files", "dq_fields", "dq_unknown_places"];

/// The columns every canonical lake table has beside the schema's own:
/// kept is the file's order among the partner's exports, which orders a
/// record's versions (`versions_in_exports`).
const KEPT_TECHNICAL: [&str; 1] = ["source_file_order"];

/// Give `conn` the record-key macro and its secret (a session's, never
/// written to the file: the warehouse cannot compute a key).
///
/// `record_key(kind, record_id)`: `R-` and sixteen hex digits of SHA-256
/// over the secret, the kind (`survivor`, `case`, `claim`) and the record's
/// id (`<partner_id>:<reference>`); null for a null id. A missing secret is
/// an error, never a key made without it.
pub fn set_up_record_keys(conn: &Connection, salt: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "set variable record_key_salt = {salt};
         create or replace temp macro record_key(kind, record_id) as
             case when record_id is not null then
                 'R-' || substr(sha256(coalesce(getvariable('record_key_salt'), error('record_key_salt is not set'))
                     || kind || chr(31) || record_id), 1, 16)
             end;",
        salt = sql_string(salt)
    ))
    .map_err(Error::warehouse("setting up the research tier's record keys"))
}

/// The research projection of one canonical table: each column the
/// research tier holds, as a select list over the lake's columns `has`.
pub fn projection(schema: &TableSchema, has: &[String]) -> Vec<String> {
    let present = |c: &str| has.iter().any(|h| h == c);
    let mut out = Vec::new();
    for c in &schema.columns {
        let Some(name) = c.research_name() else { continue };
        let lake = c.lake_name();
        if !present(&lake) {
            continue;
        }
        out.push(match c.research() {
            Research::Year => format!("year(\"{lake}\") as \"{name}\""),
            Research::RecordKey => format!(
                "record_key({}, partner_id || ':' || \"{lake}\") as \"{name}\"",
                sql_string(c.record_kind())
            ),
            Research::AsParsed | Research::Withheld => format!("\"{lake}\""),
        });
    }
    out.extend(KEPT_TECHNICAL.iter().filter(|c| present(c)).map(|c| format!("\"{c}\"")));
    out
}

/// Write the research lake at `out` from the snapshot's lake `full`, on a
/// connection with the record keys set up. A file already there is a
/// partner's carried over with its lake parts (`run::carry`) and
/// is left as it is. Returns the files in the research lake.
pub fn write(conn: &Connection, schemas: &[TableSchema], full: &Path, out: &Path) -> Result<usize> {
    let mut files = 0;
    for schema in schemas {
        let table = &schema.table;
        for (from, to) in partner_files(full, out, table)? {
            if to.is_file() {
                files += 1;
                continue;
            }
            let has = columns(conn, &from)?;
            let select = projection(schema, &has);
            conn.execute_batch(&format!(
                "copy (select {} from read_parquet({})) to {} (format parquet, compression zstd)",
                select.join(", "),
                sql_string(&from.to_string_lossy()),
                sql_string(&to.to_string_lossy())
            ))
            .map_err(Error::warehouse(format!(
                "writing the research lake's {table} ({})",
                to.display()
            )))?;
            files += 1;
        }
    }
    for table in AS_IS {
        for (from, to) in partner_files(full, out, table)? {
            if to.is_file() {
                files += 1;
                continue;
            }
            std::fs::copy(&from, &to).map_err(Error::io(&to))?;
            files += 1;
        }
    }
    Ok(files)
}

/// Each Parquet file of `table` in the lake `full`, with where its research
/// copy goes (the research table's folder made).
fn partner_files(full: &Path, out: &Path, table: &str) -> Result<Vec<(std::path::PathBuf, std::path::PathBuf)>> {
    let from_dir = crate::lake::table_dir(full, table);
    if !from_dir.is_dir() {
        return Ok(vec![]);
    }
    let to_dir = crate::lake::table_dir(out, table);
    std::fs::create_dir_all(&to_dir).map_err(Error::io(&to_dir))?;
    let mut files = Vec::new();
    for e in std::fs::read_dir(&from_dir).map_err(Error::io(&from_dir))? {
        let path = e.map_err(Error::io(&from_dir))?.path();
        if path.extension().is_some_and(|x| x == "parquet") {
            let to = to_dir.join(path.file_name().expect("a file"));
            files.push((path, to));
        }
    }
    files.sort();
    Ok(files)
}

/// The column names of one Parquet file.
fn columns(conn: &Connection, file: &Path) -> Result<Vec<String>> {
    let ctx = || Error::warehouse(format!("reading the columns of {}", file.display()));
    let mut stmt = conn
        .prepare(&format!(
            "describe select * from read_parquet({})",
            sql_string(&file.to_string_lossy())
        ))
        .map_err(ctx())?;
    stmt.query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(ctx())
}
