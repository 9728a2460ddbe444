//! A fresh folder per test and a helper to run the real binary in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    pub dir: tempfile::TempDir,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Workdir {
    pub fn new() -> Self {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Ran {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_tafteesh"))
            .args(args)
            .current_dir(self.path())
            .env_remove("TAFTEESH_KEY")
            .env_remove("TAFTEESH_LOG")
            .env_remove("TAFTEESH_FAIL_AFTER")
            .envs(env.iter().copied())
            .output()
            .expect("run tafteesh");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Start the real binary in the work dir, its output piped, without waiting.
pub fn spawn(w: &Workdir, args: &[&str]) -> std::process::Child {
    spawn_with_env(w, args, &[])
}

/// [`spawn`] with more variables in its environment.
pub fn spawn_with_env(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tafteesh"))
        .args(args)
        .current_dir(w.path())
        .env_remove("TAFTEESH_KEY")
        .env_remove("TAFTEESH_FAIL_AFTER")
        .env_remove("TAFTEESH_ON_FAILURE")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start tafteesh")
}

/// Every entry below `dir` (files, folders, links; links not followed),
/// with its own metadata.
pub fn walk(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p.clone());
            }
            out.push((p, meta));
        }
    }
    out
}

/// The id of the snapshot `output/current` names.
pub fn current_id(output: &Path) -> String {
    std::fs::read_link(output.join("current"))
        .expect("a current snapshot")
        .file_name()
        .expect("a snapshot folder")
        .to_string_lossy()
        .into_owned()
}

/// A fixture file, found through the manifest dir.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Copy a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every row of a CSV as header -> value maps.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// All rows of a query, every column as text (NULL as None).
pub fn query_text(conn: &duckdb::Connection, sql: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let wrapped = format!("select columns(*)::varchar from ({sql})");
    let mut stmt = conn.prepare(&wrapped).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    {
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        while let Some(row) = rows.next().unwrap() {
            let n = row.as_ref().column_count();
            out.push((0..n).map(|i| row.get::<_, Option<String>>(i).unwrap()).collect());
        }
    }
    let names = stmt.column_names().into_iter().map(|s| s.to_string()).collect();
    (names, out)
}

/// The alias an inbox file is published under, as `tafteesh files` tells
/// the data officer (`config`: the folder of tafteesh.toml, relative to
/// the work dir; `file`: the path relative to the inbox).
pub fn alias_of(w: &Workdir, config: &str, file: &str) -> String {
    let ran = w.run(&["files", "--config", config, "--json"]);
    assert_eq!(ran.code, 0, "tafteesh files: {}", ran.all());
    let list: Vec<serde_json::Value> = serde_json::from_str(&ran.stdout).expect("files --json");
    list.iter()
        .find(|e| e["file"] == file)
        .and_then(|e| e["published_as"].as_str())
        .unwrap_or_else(|| panic!("no inbox entry {file}: {}", ran.stdout))
        .to_string()
}

/// The published pseudonym of a partner's own identifier (a survivor's,
/// case's or claim's reference), made with the key in `key` (relative to
/// the work dir) as the run makes it.
pub fn reference(w: &Workdir, key: &str, partner: &str, value: &str) -> String {
    let source = tafteesh::config::KeySource::File(w.path().join(key));
    tafteesh::privacy::Pseudonymizer::load(Some(&source))
        .expect("the test's key")
        .reference(partner, value)
}

/// The research tier's key of the record a partner names `value` (as
/// written), of `kind` (`survivor`, `case`, `claim`), made with the key at
/// `key` by the macro the run makes them with.
pub fn record_key(w: &Workdir, key: &str, kind: &str, partner: &str, value: &str) -> String {
    let source = tafteesh::config::KeySource::File(w.path().join(key));
    let pseudo = tafteesh::privacy::Pseudonymizer::load(Some(&source)).expect("the test's key");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    tafteesh::warehouse::research_lake::set_up_record_keys(&conn, &pseudo.record_key_salt()).unwrap();
    let id = format!("{partner}:{}", pseudo.reference(partner, value));
    conn.query_row("select record_key(?, ?)", [kind, id.as_str()], |r| r.get(0))
        .unwrap()
}

/// A partner's part of a lake table as the data officer reads it, as SQL
/// for `from`: the columns the lake publishes otherwise than as written
/// (pseudonymised references and FIR numbers, known blocks, stations and
/// schemes) replaced by their values as written, from the restricted area
/// (joined by file and row), so a test can name records by the ids the
/// export holds.
pub fn lake_as_written(conn: &duckdb::Connection, output: &Path, table: &str, partner: &str) -> String {
    let lake = output.join(format!("current/lake/{table}/{partner}.parquet"));
    let plain = output.join(format!("restricted/latest/linkage/{partner}/{table}.parquet"));
    let columns = |path: &Path| -> Vec<String> {
        let (_, rows) = query_text(
            conn,
            &format!(
                "select column_name from (describe select * from read_parquet('{}'))",
                path.display()
            ),
        );
        rows.into_iter().map(|r| r[0].clone().unwrap()).collect()
    };
    let in_lake = columns(&lake);
    let replaced: Vec<String> = columns(&plain)
        .into_iter()
        .filter(|c| in_lake.contains(c) && !["partner_id", "source_file", "source_row"].contains(&c.as_str()))
        .map(|c| format!("p.\"{c}\" as \"{c}\""))
        .collect();
    let replace = if replaced.is_empty() {
        String::new()
    } else {
        format!(" replace ({})", replaced.join(", "))
    };
    format!(
        "(select l.*{replace} from read_parquet('{}') l left join read_parquet('{}') p
          on p.source_file = l.source_file and p.source_row = l.source_row)",
        lake.display(),
        plain.display()
    )
}

/// Every text a published file holds, with its path below `output`, and
/// every published path itself: text files as they are, Parquet and
/// DuckDB files read through DuckDB (every column of every table and view
/// as text, and the comments), workbooks cell by cell with their sheet
/// names. The restricted area is skipped.
pub fn published_texts(output: &Path) -> Vec<(String, String)> {
    let restricted = output.join("restricted");
    let mut out = Vec::new();
    for (p, meta) in walk(output) {
        let name = p.strip_prefix(output).unwrap().to_string_lossy().into_owned();
        if p.starts_with(&restricted) {
            continue;
        }
        out.push((name.clone(), name.clone()));
        if !meta.is_file() {
            continue;
        }
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        let text = match ext {
            "parquet" => {
                let conn = duckdb::Connection::open_in_memory().unwrap();
                let (names, rows) = query_text(&conn, &format!("select * from read_parquet('{}')", p.display()));
                format!("{names:?}{rows:?}")
            }
            "duckdb" => {
                let conn = duckdb::Connection::open_with_flags(
                    &p,
                    duckdb::Config::default()
                        .access_mode(duckdb::AccessMode::ReadOnly)
                        .unwrap(),
                )
                .unwrap();
                let (_, tables) = query_text(
                    &conn,
                    "select table_schema, table_name from information_schema.tables
                     where table_catalog = current_database() and table_schema in ('main', 'staging')",
                );
                let mut all = String::new();
                for t in tables {
                    let (schema, t) = (t[0].clone().unwrap(), t[1].clone().unwrap());
                    let (names, rows) = query_text(&conn, &format!("select * from \"{schema}\".\"{t}\""));
                    all.push_str(&format!("{t}{names:?}{rows:?}"));
                }
                let (_, comments) = query_text(
                    &conn,
                    "select comment from duckdb_columns() where comment is not null
                     union all select comment from duckdb_tables() where comment is not null",
                );
                all.push_str(&format!("{comments:?}"));
                all
            }
            "xlsx" => {
                use calamine::Reader;
                let mut wb = calamine::open_workbook_auto(&p).unwrap();
                let mut all = wb.sheet_names().join("\t");
                for name in wb.sheet_names().to_vec() {
                    let range = wb.worksheet_range(&name).unwrap();
                    for row in range.rows() {
                        for c in row {
                            all.push_str(&c.to_string());
                            all.push('\t');
                        }
                    }
                }
                all
            }
            _ => String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
        };
        out.push((name, text));
    }
    out
}

/// The lake's tables as `raw_<table>` temporary views of `conn`, over the
/// Parquet files of the snapshot `current` (the warehouse keeps no copy of
/// the lake): what a test compares the warehouse with.
pub fn with_lake(conn: &duckdb::Connection, current: &Path) {
    let lake = current.join("lake");
    for e in std::fs::read_dir(&lake).unwrap() {
        let dir = e.unwrap().path();
        let table = dir.file_name().unwrap().to_string_lossy().into_owned();
        conn.execute_batch(&format!(
            "create or replace temp view raw_{table} as select * from read_parquet('{}/*.parquet')",
            dir.display()
        ))
        .unwrap();
    }
}
