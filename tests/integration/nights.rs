//! A night equals a full rebuild, as a property (#45): nights of random
//! changes (records deleted, edited and added in random partners' exports,
//! two partners at once, a partner removed and brought back, a night with
//! nothing new, the model retrained), each run twice from the same state:
//! as cron runs it (carrying over what did not change, linkage reusing
//! the key's state and scoring only the changed pairs) and as a full
//! rebuild (`--force`, every partner cleaned, every pair scored). Every
//! file published (the snapshot: lake, research tier, marts, warehouse,
//! reports, workbook, manifest; the restricted area: staged rows,
//! quarantine, linkage state, packs, file names), the indicator history
//! the next night builds on, and a study's extract of the snapshot must be
//! the same.
//!
//! Compared byte for byte, except:
//! - Parquet files and warehouse tables: schema, key-value metadata and
//!   rows, as sorted lists (a relation's rows have no order; DuckDB writes
//!   them in the order its threads finish).
//! - Facts about the run rather than the data, named in [`RUN_FACTS`]:
//!   wall-clock times, what was recomputed and reused, pairs scored.
//!
//! `TAFTEESH_NIGHTS_SEED` replays a failing seed; `TAFTEESH_NIGHTS` sets
//! how many nights (at least the eight kinds).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use crate::util::{Workdir, query_text, walk};

/// JSON keys whose values are facts about how a run went, not what it
/// published: when it ran and for how long, what it recomputed or carried
/// over, how many pairs linkage scored and why it reused its model.
const RUN_FACTS: &[&str] = &[
    "started_at",
    "finished_at",
    "seconds",
    "stages",
    "timings",
    "warehouse_steps",
    "ingest_times",
    "recomputed",
    "reused",
    "recomputed_partners",
    "reused_partners",
    "pairs_scored",
    "records_changed",
    "reason",
    "peak_mib",
    "peak_rss_mib",
];

/// What a night does to the inbox before both runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Delete,
    Edit,
    Add,
    TwoPartners,
    RemovePartner,
    ReturnPartner,
    Nothing,
    Retrain,
}

struct Night {
    kind: Kind,
    did: Vec<String>,
}

impl Night {
    /// Both runs of a retraining night train the model again.
    fn retrain(&self) -> bool {
        self.kind == Kind::Retrain
    }
}

#[test]
fn random_nights_each_publish_what_a_full_rebuild_publishes() {
    let seed: u64 = std::env::var("TAFTEESH_NIGHTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let nights: usize = std::env::var("TAFTEESH_NIGHTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    eprintln!("nights: seed {seed} (TAFTEESH_NIGHTS_SEED replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let w = Workdir::new();
    // TAFTEESH_NIGHTS_KEEP=1 keeps the folder of a failing seed to look into.
    if std::env::var_os("TAFTEESH_NIGHTS_KEEP").is_some() {
        eprintln!("nights: working in {}", w.path().display());
    }
    let _keep = Keep(std::env::var_os("TAFTEESH_NIGHTS_KEEP").map(|_| w.path().to_path_buf()));
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", &seed.to_string()]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let dir = w.path().join("d");
    let aside = w.path().join("aside");
    std::fs::create_dir_all(&aside).unwrap();

    // Every kind once, in a random order (a partner comes back after it
    // left), then random kinds.
    let mut kinds = vec![
        Kind::Delete,
        Kind::Edit,
        Kind::Add,
        Kind::TwoPartners,
        Kind::RemovePartner,
        Kind::Nothing,
        Kind::Retrain,
    ];
    kinds.shuffle(&mut rng);
    let back = rng.random_range(kinds.iter().position(|k| *k == Kind::RemovePartner).unwrap() + 1..=kinds.len());
    kinds.insert(back, Kind::ReturnPartner);
    while kinds.len() < nights {
        kinds.push(
            *[Kind::Delete, Kind::Edit, Kind::Add, Kind::TwoPartners, Kind::Nothing]
                .choose(&mut rng)
                .unwrap(),
        );
    }

    let mut removed: Option<String> = None;
    for (n, kind) in kinds.into_iter().enumerate() {
        let night = change(&dir, &aside, kind, &mut removed, &mut rng);
        let clock = format!("2026-12-{:02}T21:30:00Z", 10 + n);
        let full = w.path().join("full");
        let _ = std::fs::remove_dir_all(&full);
        let cp = Command::new("cp").arg("-a").arg(&dir).arg(&full).status().unwrap();
        assert!(cp.success(), "copying the night's state");
        let what = format!(
            "night {n} (seed {seed}): {:?}{} {:?}",
            night.kind,
            if night.retrain() { " --retrain" } else { "" },
            night.did
        );
        eprintln!("{what}");

        let before = std::fs::read_link(dir.join("output/current")).unwrap();
        let incremental = run(&dir, &clock, false, night.retrain());
        assert!(
            incremental.0 == 3 || incremental.0 == 0,
            "{what}: the night: {}",
            incremental.1
        );
        if night.kind == Kind::Nothing {
            // Nothing new: last night's snapshot stays, figures as of last
            // night; a rebuild tonight would count ages and periods to
            // tonight, so the nights after it are the comparison.
            assert!(incremental.1.contains("nothing changed"), "{what}: {}", incremental.1);
            assert_eq!(
                std::fs::read_link(dir.join("output/current")).unwrap(),
                before,
                "{what}"
            );
            continue;
        }
        assert!(!incremental.1.contains("nothing changed"), "{what}: {}", incremental.1);
        let rebuilt = run(&full, &clock, true, night.retrain());
        assert!(
            rebuilt.0 == 3 || rebuilt.0 == 0,
            "{what}: the full rebuild: {}",
            rebuilt.1
        );
        // A study's extract of tonight's snapshot, made from each.
        let study = *["ahtu_engagement", "rehabilitation"].choose(&mut rng).unwrap();
        for d in [&dir, &full] {
            let ex = Command::new(env!("CARGO_BIN_EXE_tafteesh"))
                .args(["extract", "--config", "config", "--spec", study])
                .current_dir(d)
                .env_remove("TAFTEESH_KEY")
                .output()
                .unwrap();
            assert!(
                ex.status.success(),
                "{what}: extract {study}: {}",
                String::from_utf8_lossy(&ex.stderr)
            );
        }
        let compared = same_publication(&dir, &full, &what);
        assert!(compared > 200, "{what}: only {compared} files compared");
    }
}

/// Copies the work folder aside when the test ends (even by a panic).
struct Keep(Option<PathBuf>);

impl Drop for Keep {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let to = std::env::temp_dir().join("tafteesh-nights-kept");
            let _ = std::fs::remove_dir_all(&to);
            let _ = Command::new("cp").arg("-a").arg(dir).arg(&to).status();
            eprintln!("nights: kept in {}", to.display());
        }
    }
}

/// Run the job in `dir` at `clock`: the exit code and everything it said.
fn run(dir: &Path, clock: &str, force: bool, retrain: bool) -> (i32, String) {
    let mut args = vec!["run", "--config", "config", "--accept-shrink"];
    if force {
        args.push("--force");
    }
    if retrain {
        args.push("--retrain");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tafteesh"))
        .args(&args)
        .current_dir(dir)
        .env_remove("TAFTEESH_KEY")
        .env_remove("TAFTEESH_LOG")
        .env_remove("TAFTEESH_FAIL_AFTER")
        .env("TAFTEESH_TEST_CLOCK", clock)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Change the inbox of `dir` as `kind` says.
fn change(dir: &Path, aside: &Path, kind: Kind, removed: &mut Option<String>, rng: &mut StdRng) -> Night {
    let mut did = Vec::new();
    let inbox = dir.join("inbox");
    let edit_one = |rng: &mut StdRng, what: Kind, did: &mut Vec<String>| {
        let files = record_files(&inbox);
        let file = files.choose(rng).unwrap();
        let rel = file.strip_prefix(&inbox).unwrap().display().to_string();
        let n = rng.random_range(1..=4);
        did.push(format!("{what:?} {n} in {rel}"));
        edit_records(file, what, n, rng);
    };
    match kind {
        Kind::Delete | Kind::Edit | Kind::Add => edit_one(rng, kind, &mut did),
        Kind::Retrain => edit_one(rng, Kind::Edit, &mut did),
        Kind::TwoPartners => {
            let files = record_files(&inbox);
            let mut partners: Vec<String> = files.iter().map(|f| partner_of(&inbox, f)).collect();
            partners.dedup();
            let two: Vec<String> = partners.choose_multiple(rng, 2).cloned().collect();
            for p in two {
                let theirs: Vec<&PathBuf> = files.iter().filter(|f| partner_of(&inbox, f) == p).collect();
                let file = *theirs.choose(rng).unwrap();
                let what = *[Kind::Delete, Kind::Edit, Kind::Add].choose(rng).unwrap();
                did.push(format!("{what:?} in {}", file.strip_prefix(&inbox).unwrap().display()));
                edit_records(file, what, rng.random_range(1..=3), rng);
            }
        }
        Kind::RemovePartner => {
            let mut partners: Vec<String> = std::fs::read_dir(&inbox)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            partners.sort();
            let p = partners.choose(rng).unwrap().clone();
            std::fs::rename(inbox.join(&p), aside.join(&p)).unwrap();
            let pipeline = dir.join(format!("config/pipelines/{p}.toml"));
            std::fs::rename(&pipeline, aside.join(format!("{p}.toml"))).unwrap();
            did.push(format!("removed {p}"));
            *removed = Some(p);
        }
        Kind::ReturnPartner => {
            let p = removed.take().expect("a partner was removed before");
            std::fs::rename(aside.join(&p), inbox.join(&p)).unwrap();
            std::fs::rename(
                aside.join(format!("{p}.toml")),
                dir.join(format!("config/pipelines/{p}.toml")),
            )
            .unwrap();
            did.push(format!("returned {p}"));
        }
        // Truly nothing: a file saved again with the same bytes is a no-op
        // too (nightly.rs), but publishes its export time only on a later
        // night that changes something, where a full rebuild reads it now.
        Kind::Nothing => did.push("nothing".into()),
    }
    Night { kind, did }
}

fn partner_of(inbox: &Path, file: &Path) -> String {
    file.strip_prefix(inbox)
        .unwrap()
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned()
}

/// The delimited text exports below `inbox` (not UTF-16: edited as bytes).
fn record_files(inbox: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walk(inbox)
        .into_iter()
        .filter(|(p, m)| {
            m.is_file()
                && matches!(p.extension().and_then(|e| e.to_str()), Some("csv" | "txt" | "tsv"))
                && !std::fs::read(p).unwrap().starts_with(&[0xff, 0xfe])
        })
        .map(|(p, _)| p)
        .collect();
    files.sort();
    files
}

/// The delimiter that splits the most of the first lines into the same
/// number of fields (more than one).
fn sniff(bytes: &[u8]) -> u8 {
    let head: Vec<&[u8]> = bytes.split(|b| *b == b'\n').take(20).collect();
    *[b',', b';', b'\t', b'|']
        .iter()
        .max_by_key(|d| {
            let counts: Vec<usize> = head.iter().map(|l| l.iter().filter(|b| b == d).count()).collect();
            let top = counts.iter().copied().max().unwrap_or(0);
            counts.iter().filter(|c| **c == top && top > 0).count() * 1000 + top
        })
        .unwrap()
}

/// Delete, edit or add `n` records of a delimited export, keeping its
/// delimiter and line ends. Records are the rows with the most common
/// width after the first of them (the header); title rows are left alone.
fn edit_records(file: &Path, what: Kind, n: usize, rng: &mut StdRng) {
    let bytes = std::fs::read(file).unwrap();
    let delimiter = sniff(&bytes);
    let crlf = bytes.windows(2).any(|w| w == b"\r\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&bytes[..]);
    let mut rows: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
    let mut widths: BTreeMap<usize, usize> = BTreeMap::new();
    for r in &rows {
        *widths.entry(r.len()).or_default() += 1;
    }
    let width = *widths.iter().max_by_key(|(_, c)| **c).unwrap().0;
    let header = rows.iter().position(|r| r.len() == width).unwrap();
    for _ in 0..n {
        let records: Vec<usize> = (header + 1..rows.len()).filter(|i| rows[*i].len() == width).collect();
        if records.len() < 3 {
            return;
        }
        let i = *records.choose(rng).unwrap();
        match what {
            Kind::Delete => {
                rows.remove(i);
            }
            Kind::Edit => {
                let edited = edit_fields(&rows[i], 1, rng);
                rows[i] = edited;
            }
            _ => {
                // Another record like one already there, differing in a few
                // fields: a new submission, or a copy the partner's MIS made.
                let copy = edit_fields(&rows[i], rng.random_range(0..=3), rng);
                rows.insert(rng.random_range(header + 1..=rows.len()), copy);
            }
        }
    }
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    for r in &rows {
        out.write_byte_record(r).unwrap();
    }
    std::fs::write(file, out.into_inner().unwrap()).unwrap();
}

/// `record` with `n` of its non-empty fields changed: a letter added or
/// two neighbouring ASCII letters swapped (a slip), a digit changed, or
/// the field blanked.
fn edit_fields(record: &csv::ByteRecord, n: usize, rng: &mut StdRng) -> csv::ByteRecord {
    let mut fields: Vec<Vec<u8>> = record.iter().map(<[u8]>::to_vec).collect();
    let filled: Vec<usize> = (0..fields.len()).filter(|i| !fields[*i].is_empty()).collect();
    for _ in 0..n {
        let Some(&i) = filled.choose(rng) else { break };
        let f = &mut fields[i];
        match rng.random_range(0..4) {
            0 => f.clear(),
            1 => {
                let digits: Vec<usize> = (0..f.len()).filter(|j| f[*j].is_ascii_digit()).collect();
                match digits.choose(rng) {
                    Some(&j) => f[j] = b'0' + (f[j] - b'0' + 1) % 10,
                    None => f.push(b'a'),
                }
            }
            2 => {
                let pairs: Vec<usize> = (0..f.len().saturating_sub(1))
                    .filter(|j| f[*j].is_ascii_alphabetic() && f[j + 1].is_ascii_alphabetic() && f[*j] != f[j + 1])
                    .collect();
                match pairs.choose(rng) {
                    Some(&j) => f.swap(j, j + 1),
                    None => f.push(b'a'),
                }
            }
            _ => f.push(b'a'),
        }
    }
    csv::ByteRecord::from(fields)
}

/// Compare what `a` and `b` published (the current snapshot and the
/// restricted area's latest); the number of files compared.
fn same_publication(a: &Path, b: &Path, what: &str) -> usize {
    let mut compared = 0;
    for area in [
        "output/current",
        "output/restricted/latest",
        "output/history",
        "output/extracts",
    ] {
        let (ra, rb) = (
            a.join(area).canonicalize().unwrap(),
            b.join(area).canonicalize().unwrap(),
        );
        let (fa, fb) = (files(&ra), files(&rb));
        assert_eq!(fa, fb, "{what}: {area} holds other files");
        for rel in &fa {
            same_file(&ra.join(rel), &rb.join(rel), &format!("{what}: {area}/{rel}"));
            compared += 1;
        }
    }
    compared
}

fn files(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .into_iter()
        .filter(|(_, m)| !m.is_dir())
        .map(|(p, _)| p.strip_prefix(dir).unwrap().display().to_string())
        .collect()
}

fn same_file(a: &Path, b: &Path, what: &str) {
    let (ba, bb) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    if ba == bb {
        return;
    }
    let ext = a.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "parquet" => assert_eq!(parquet_contents(a), parquet_contents(b), "{what}"),
        "duckdb" => {
            let (wa, wb) = (warehouse_contents(a), warehouse_contents(b));
            assert_eq!(
                wa.keys().collect::<Vec<_>>(),
                wb.keys().collect::<Vec<_>>(),
                "{what}: other tables"
            );
            for (t, rows) in &wa {
                assert!(
                    wb[t] == *rows,
                    "{what}: table {t} differs: {}",
                    first_difference(rows, &wb[t])
                );
            }
        }
        "json" => {
            let (ja, jb) = (without_run_facts(&ba), without_run_facts(&bb));
            assert!(ja == jb, "{what}: {}", first_difference(&flat(&ja), &flat(&jb)));
        }
        "html" => {
            let (ta, tb) = (without_finish_time(&ba), without_finish_time(&bb));
            assert!(ta == tb, "{what}: {}", first_difference(&lines(&ta), &lines(&tb)));
        }
        "xlsx" => {
            let (ca, cb) = (xlsx_cells(a), xlsx_cells(b));
            assert!(ca == cb, "{what}: {}", first_difference(&ca, &cb));
            panic!("{what}: the same cells, other bytes");
        }
        _ => {
            let (ta, tb) = (String::from_utf8_lossy(&ba), String::from_utf8_lossy(&bb));
            panic!(
                "{what}: the bytes differ: {}",
                first_difference(&lines(&ta), &lines(&tb))
            );
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// Where two lists first differ, for the message (synthetic data only).
fn first_difference(a: &[String], b: &[String]) -> String {
    let i = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let cut = |s: Option<&String>| s.map(|s| s.chars().take(400).collect::<String>()).unwrap_or_default();
    format!(
        "{} against {} items; at {i}:\n  night: {}\n  full:  {}",
        a.len(),
        b.len(),
        cut(a.get(i)),
        cut(b.get(i))
    )
}

/// The dashboard says when its run finished: a fact of the run.
fn without_finish_time(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let re = regex::Regex::new(r"(finished|শেষ হয়েছে) \d{4}-\d{2}-\d{2} \d{2}:\d{2} IST").unwrap();
    re.replace_all(&text, "$1 <time>").into_owned()
}

fn without_run_facts(bytes: &[u8]) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !RUN_FACTS.contains(&k.as_str()));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    strip(&mut v);
    v
}

/// Every leaf of a JSON value as `path = value`, for the message.
fn flat(v: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, format!("{at}.{k}"), out)),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, format!("{at}[{i}]"), out)),
            leaf => out.push(format!("{at} = {leaf}")),
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

/// Every sheet's rows of a workbook, as text, for the message.
fn xlsx_cells(path: &Path) -> Vec<String> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        out.extend(range.rows().map(|r| format!("{name}: {r:?}")));
    }
    out
}

/// A Parquet file's schema, key-value metadata and sorted rows.
fn parquet_contents(path: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let f = path.display().to_string().replace('\'', "''");
    let (_, schema) = query_text(&conn, &format!("select name, type from parquet_schema('{f}')"));
    let (_, kv) = query_text(
        &conn,
        &format!("select key::varchar, value::varchar from parquet_kv_metadata('{f}') order by 1"),
    );
    let (names, mut rows) = query_text(&conn, &format!("select * from read_parquet('{f}')"));
    rows.sort();
    [format!("{schema:?}"), format!("{kv:?}"), format!("{names:?}")]
        .into_iter()
        .chain(rows.into_iter().map(|r| format!("{r:?}")))
        .collect()
}

/// Every table and view of a warehouse: its columns and sorted rows.
fn warehouse_contents(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = tafteesh::warehouse::open(db).unwrap();
    let (_, tables) = query_text(
        &conn,
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()
         union all
         select schema_name || '.' || view_name from duckdb_views() where database_name = current_database() and not internal
         order by 1",
    );
    let mut out = BTreeMap::new();
    for t in tables {
        let t = t[0].clone().unwrap();
        // The run ledger's own line and the views on it hold the run's facts.
        let (all, _) = query_text(&conn, &format!("select * from {t} limit 0"));
        let list: Vec<String> = all
            .iter()
            .filter(|c| !RUN_FACTS.contains(&c.as_str()))
            .map(|c| match c.as_str() {
                "linkage" => "linkage.model, linkage.records, linkage.pairs".to_string(),
                c => format!("\"{c}\""),
            })
            .collect();
        let (names, mut rows) = query_text(&conn, &format!("select {} from {t}", list.join(", ")));
        rows.sort();
        let text = std::iter::once(format!("{names:?}"))
            .chain(rows.into_iter().map(|r| format!("{r:?}")))
            .collect();
        out.insert(t, text);
    }
    out
}
