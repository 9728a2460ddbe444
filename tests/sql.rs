//! The SQL logic tests of `sql/tests/` (see its README): hand-made inputs
//! and the exact rows each indicator must give, in the spirit of DuckDB's
//! `test/sql/*.test` and DataFusion's sqllogictest. Its own test target,
//! with its own small runner:
//!
//! ```sh
//! cargo test --release --test sql                      # every case
//! cargo test --release --test sql -- conviction        # cases whose "indicator / name" holds a word
//! cargo test --release --test sql -- --bless conviction # rewrite those cases' `expect` from what the SQL gives
//! BLESS=1 cargo test --release --test sql               # the same, for every case
//! ```
//!
//! Blessing rewrites the `expect = """..."""` block of each selected case
//! in place (sorted rows); read the diff before committing it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use duckdb::Connection;
use serde::Deserialize;
use tafteesh::period::{Kind, kind};
use tafteesh::warehouse::Project;

/// A file of `sql/tests/`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogicTest {
    indicator: String,
    #[serde(default)]
    models: Vec<String>,
    case: Vec<LogicCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogicCase {
    name: String,
    setup: String,
    expect: String,
    #[serde(default)]
    quarters: bool,
}

/// What the command line asked for. libtest's own flags (`--nocapture`,
/// `--test-threads=2`, `-q`) are accepted and ignored, so `cargo test
/// --release -- <filter>` across every target still works.
struct Args {
    filters: Vec<String>,
    skips: Vec<String>,
    bless: bool,
    list: bool,
}

impl Args {
    fn parse() -> Args {
        let mut a = Args {
            filters: vec![],
            skips: vec![],
            bless: std::env::var_os("BLESS").is_some_and(|v| v != "0"),
            list: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--bless" => a.bless = true,
                "--list" => a.list = true,
                "--skip" => a.skips.extend(it.next()),
                "--test-threads" | "--format" | "--color" | "-Z" => {
                    it.next();
                }
                s if s.starts_with('-') => {}
                s => a.filters.push(s.to_string()),
            }
        }
        a
    }

    fn selects(&self, id: &str) -> bool {
        (self.filters.is_empty() || self.filters.iter().any(|f| id.contains(f.as_str())))
            && !self.skips.iter().any(|s| id.contains(s.as_str()))
    }
}

fn sql_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/tests")
}

/// The rows an indicator gives on a case's inputs, as `expect` writes them.
fn rows_of(project: &Project, t: &LogicTest, c: &LogicCase) -> Result<Vec<String>, String> {
    let model = |name: &str| {
        project
            .models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| format!("no model {name}"))
    };
    let indicator = model(&t.indicator)?;
    if indicator.indicator.is_none() {
        return Err(format!("{} is not an indicator", t.indicator));
    }
    let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
    conn.execute_batch(&project.macros).map_err(|e| e.to_string())?;
    conn.execute_batch(&c.setup).map_err(|e| format!("setup: {e}"))?;
    for m in &t.models {
        conn.execute_batch(&format!("create table {m} as {}", model(m)?.body()))
            .map_err(|e| format!("model {m}: {e}"))?;
    }
    let sql = format!(
        "select period, dimension, dimension_value, numerator, denominator, value, cell_size
         from ({}) order by all",
        indicator.body()
    );
    let mut stmt = conn.prepare(&sql).map_err(|e| e.to_string())?;
    let num = |x: Option<f64>| {
        x.map(|v| format!("{}", (v * 100.0).round() / 100.0))
            .unwrap_or_default()
    };
    let mut got: Vec<String> = stmt
        .query_map([], |r| {
            Ok([
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                num(r.get(3)?),
                num(r.get(4)?),
                num(r.get(5)?),
                num(r.get(6)?),
            ]
            .join(","))
        })
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    got.retain(|row| c.quarters || kind(row.split(',').next().unwrap_or_default()) != Some(Kind::Quarter));
    got.sort();
    Ok(got)
}

fn expected(c: &LogicCase) -> Vec<String> {
    let mut want: Vec<String> = c
        .expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    want.sort();
    want
}

/// Replace the `expect` block of the case named `name` in a test file's text.
fn bless(text: &str, name: &str, rows: &[String]) -> Option<String> {
    let quoted = toml::Value::String(name.to_string()).to_string();
    let at = text.find(&format!("name = {quoted}"))?;
    let open = at + text[at..].find("expect = \"\"\"")? + "expect = \"\"\"".len();
    let close = open + text[open..].find("\"\"\"")?;
    let body = format!("\n{}\n", rows.join("\n"));
    Some(format!("{}{}{}", &text[..open], body, &text[close..]))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let project = Project::load().expect("the SQL project loads");
    let mut files: Vec<PathBuf> = std::fs::read_dir(sql_tests_dir())
        .expect("sql/tests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let (mut passed, mut failed, mut blessed, mut filtered) = (0, Vec::new(), 0, 0);
    let mut covered = HashSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable test file");
        let t: LogicTest = match toml::from_str(&text) {
            Ok(t) => t,
            Err(e) => {
                failed.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if t.case.is_empty() {
            failed.push(format!("{}: no case", path.display()));
        }
        covered.insert(t.indicator.clone());
        let mut new_text = text.clone();
        for c in &t.case {
            let id = format!("{} / {}", t.indicator, c.name);
            if !args.selects(&id) {
                filtered += 1;
                continue;
            }
            if args.list {
                println!("{id}: test");
                continue;
            }
            match rows_of(&project, &t, c) {
                Ok(got) if got == expected(c) => {
                    passed += 1;
                    println!("test {id} ... ok");
                }
                Ok(got) if args.bless => match bless(&new_text, &c.name, &got) {
                    Some(t) => {
                        new_text = t;
                        blessed += 1;
                        println!("test {id} ... blessed");
                    }
                    None => failed.push(format!("{id}: cannot find its `expect` block to rewrite")),
                },
                Ok(got) => {
                    println!("test {id} ... FAILED");
                    failed.push(format!(
                        "{id}\n  expected:\n    {}\n  got:\n    {}\n  (`--bless` rewrites the expectation)",
                        expected(c).join("\n    "),
                        got.join("\n    ")
                    ));
                }
                Err(e) => {
                    println!("test {id} ... FAILED");
                    failed.push(format!("{id}: {e}"));
                }
            }
        }
        if new_text != text {
            std::fs::write(path, new_text).expect("writable test file");
        }
    }
    if args.list {
        return ExitCode::SUCCESS;
    }
    // Every indicator has a test file, whichever cases were selected.
    let missing: Vec<&str> = project
        .indicators()
        .map(|i| i.id.as_str())
        .filter(|id| !covered.contains(*id))
        .collect();
    if !missing.is_empty() {
        failed.push(format!("indicators with no SQL logic test in sql/tests/: {missing:?}"));
    }
    if args.filters.is_empty() && args.skips.is_empty() && passed + blessed < 21 {
        failed.push(format!("only {} cases ran", passed + blessed));
    }
    for f in &failed {
        eprintln!("\n---- {f}");
    }
    println!(
        "\nsql logic tests: {passed} passed, {} failed, {blessed} blessed, {filtered} filtered out",
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
