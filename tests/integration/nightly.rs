//! What cron relies on night after night: a run with nothing new rewrites
//! nothing, a run after one partner's export changed equals a full rebuild,
//! every run is in the ledger, a real `kill -9` at any moment is survived,
//! and of two runs started together exactly one runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::fixtures::fixture_setup;
use crate::util::{Workdir, query_text, spawn, walk};

/// Every file below `dir` (symlinks not followed) -> (modification time, SHA-256).
fn tree_state(dir: &Path) -> BTreeMap<String, (SystemTime, String)> {
    walk(dir)
        .into_iter()
        .filter(|(_, meta)| !meta.is_dir())
        .map(|(p, meta)| {
            let hash = if meta.is_symlink() {
                std::fs::read_link(&p).unwrap().display().to_string()
            } else {
                hex::encode(Sha256::digest(std::fs::read(&p).unwrap()))
            };
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            (rel, (meta.modified().unwrap(), hash))
        })
        .collect()
}

fn ledger(w: &Workdir, output: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(w.path().join(output).join("ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_run_with_nothing_new_rewrites_nothing_and_adds_one_ledger_line() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let output = w.path().join("output");
    let before: Vec<_> = ["snapshots", "restricted"]
        .iter()
        .map(|d| tree_state(&output.join(d)))
        .collect();
    let current = std::fs::read_link(output.join("current")).unwrap();

    let t = Instant::now();
    let again = w.run(&["run", "--config", "config"]);
    let took = t.elapsed();
    // The fixture inbox has a file that cannot be used: the no-op keeps saying so.
    assert_eq!(again.code, 4, "{}", again.all());
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert!(took < Duration::from_secs(5), "a no-op took {took:?}");
    let after: Vec<_> = ["snapshots", "restricted"]
        .iter()
        .map(|d| tree_state(&output.join(d)))
        .collect();
    assert_eq!(before, after, "a no-op run rewrote files in the snapshot area");
    assert_eq!(std::fs::read_link(output.join("current")).unwrap(), current);
    let lines = ledger(&w, "output");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "published");
    assert_eq!(lines[1]["status"], "unchanged");
    assert_eq!(lines[1]["exit_code"], 4);
    assert_eq!(lines[1]["snapshot"], lines[0]["run_id"]);
    assert_eq!(lines[1]["inputs_fingerprint"], lines[0]["inputs_fingerprint"]);

    // A touched file (same bytes, new time) is hashed again and found unchanged.
    let f = w.path().join("inbox/fixture_ngo/exact_duplicate_rows.csv");
    let bytes = std::fs::read(&f).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&f, &bytes).unwrap();
    assert!(w.run(&["run", "--config", "config"]).stdout.contains("nothing changed"));

    // A changed config is not "nothing changed".
    let cfg = w.path().join("config/pipelines/fixture_ngo.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}\n# edited\n")).unwrap();
    let edited = w.run(&["run", "--config", "config"]);
    assert!(edited.stdout.contains("published"), "{}", edited.all());

    // --force rebuilds though nothing changed.
    let forced = w.run(&["run", "--config", "config", "--force"]);
    assert_eq!(forced.code, 4, "{}", forced.all());
    assert!(forced.stdout.contains("published"), "{}", forced.stdout);
    let conn = tafteesh::warehouse::open(&output.join("current/research/warehouse/tafteesh.duckdb")).unwrap();
    let (_, rows) = query_text(&conn, "select status from run_ledger order by started_at");
    let statuses: Vec<String> = rows.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(
        statuses,
        ["published", "unchanged", "unchanged", "published", "published"],
        "the warehouse's run_ledger holds every run up to its own"
    );
}

/// Every table of a warehouse as sorted text rows, run ids and the run
/// history (the ledger and the view over it) left out.
fn warehouse_contents(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = tafteesh::warehouse::open(db).unwrap();
    let (_, tables) = query_text(
        &conn,
        // The ledger and the indicator history hold earlier runs by design.
        "select table_name from information_schema.tables
         where table_name not in ('run_ledger', 'dq_accuracy_history', 'indicator_history', 'indicator_history_runs', 'indicator_history_spans') order by 1",
    );
    let mut out = BTreeMap::new();
    for t in tables {
        let t = t[0].clone().unwrap();
        let (names, _) = query_text(&conn, &format!("select * from {t} limit 0"));
        let cols: Vec<&String> = names.iter().filter(|n| n.as_str() != "run_id").collect();
        let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let (_, rows) = query_text(&conn, &format!("select {list} from {t}"));
        let mut text: Vec<String> = rows.into_iter().map(|r| format!("{r:?}")).collect();
        text.sort();
        out.insert(t, text);
    }
    out
}

#[test]
fn status_shows_the_last_runs_the_current_snapshot_and_stale_partners() {
    let w = Workdir::new();
    fixture_setup(&w);
    let toml = w.path().join("config/tafteesh.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n[freshness]\nstale_after_days = 30\n")).unwrap();
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    // One export is old: its file was last written 40 days ago.
    let old = SystemTime::now() - Duration::from_secs(40 * 86400);
    for e in std::fs::read_dir(w.path().join("inbox/fixture_ngo")).unwrap() {
        let f = std::fs::File::options().write(true).open(e.unwrap().path()).unwrap();
        f.set_modified(old).unwrap();
    }
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let st = w.run(&["status", "--config", "config"]);
    assert_eq!(st.code, 0, "{}", st.all());
    let out = &st.stdout;
    assert!(out.contains("current snapshot: "), "{out}");
    assert!(out.contains("exit 4: partial"), "{out}");
    assert_eq!(out.matches(" published ").count(), 1, "{out}");
    assert_eq!(
        out.matches(" unchanged ").count(),
        2,
        "touched files, same bytes: {out}"
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("fixture_ngo"))
        .expect("partner listed");
    assert!(line.contains("STALE") && line.contains("(40d)"), "{line}");
    let json = w.run(&["status", "--config", "config", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let partner = |id: &str| {
        v["partners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["partner_id"] == id)
            .unwrap()
    };
    assert_eq!(partner("fixture_ngo")["stale"], true);
    assert_eq!(partner("fixture_lawyers")["stale"], false);
    assert_eq!(v["runs"].as_array().unwrap().len(), 3);
}

#[test]
fn the_on_failure_command_runs_when_a_run_fails_and_not_when_it_succeeds() {
    let w = Workdir::new();
    fixture_setup(&w);
    let hook = "echo \"exit=$TAFTEESH_EXIT_CODE run=$TAFTEESH_RUN_ID\" >> alerts.txt";
    // The fixture inbox holds an unusable file: a partial run (4) alerts.
    let ran = w.run(&["run", "--config", "config", "--on-failure", hook]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let alerts = std::fs::read_to_string(w.path().join("alerts.txt")).unwrap();
    assert!(alerts.starts_with("exit=4 run=2"), "{alerts}");
    // A config error (here a config that is not there) alerts too, before anything is read.
    let ran = w.run(&["run", "--config", "nowhere", "--on-failure", hook]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    let alerts = std::fs::read_to_string(w.path().join("alerts.txt")).unwrap();
    assert_eq!(alerts.lines().count(), 2, "{alerts}");
    // A clean demo run (exit 3 at worst) does not.
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "100", "--seed", "1"]);
    assert_eq!(ran.code, 0);
    let ran = w.run(&[
        "run",
        "--config",
        "d/config",
        "--force",
        "--on-failure",
        "echo alert > d/alert.txt",
    ]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert!(!w.path().join("d/alert.txt").exists());
}

/// A linked record: (bridge table, partner_id, the partner's own id).
type LinkedRecord = (String, String, String);

/// Linkage keys in the current snapshot, per record.
fn linkage_keys(dir: &Path) -> BTreeMap<LinkedRecord, String> {
    let lake = dir.join("output/current/lake");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let part = |t: &str, r: &str, k: &str| {
        format!(
            "select distinct '{t}', partner_id, {r}, {k} from read_parquet('{}')",
            lake.join(t).join("consortium.parquet").display()
        )
    };
    let sql = [
        part("link_survivors", "survivor_ref", "person_key"),
        part("link_cases", "case_ref", "case_key"),
        part("link_claims", "claim_ref", "claim_key"),
    ]
    .join(" union all ");
    let (_, rows) = query_text(&conn, &sql);
    let mut out = BTreeMap::new();
    for r in rows {
        let [t, p, id, k] = [0, 1, 2, 3].map(|i| r[i].clone().unwrap());
        let before = out.insert((t, p, id), k);
        assert!(before.is_none(), "the versions of one partner's record share one key");
    }
    out
}

/// From a run's log: the pairs linkage blocked and the pairs it scored,
/// after checking the model was `trained` or `reused`.
fn linkage_line(log: &str, model: &str) -> (u64, u64) {
    let line = log
        .lines()
        .find(|l| l.contains("linked survivor records"))
        .unwrap_or_else(|| panic!("no linkage line in:\n{log}"));
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {line}"))
            .to_string()
    };
    assert_eq!(field("model"), model, "{line}");
    (field("pairs").parse().unwrap(), field("pairs_scored").parse().unwrap())
}

/// Per record: the records sharing its key.
fn co_members(keys: &BTreeMap<LinkedRecord, String>) -> BTreeMap<&LinkedRecord, Vec<&LinkedRecord>> {
    let mut by_key: BTreeMap<(&str, &str), Vec<&LinkedRecord>> = BTreeMap::new();
    for (id, k) in keys {
        by_key.entry((id.0.as_str(), k.as_str())).or_default().push(id);
    }
    keys.iter()
        .map(|(id, k)| (id, by_key[&(id.0.as_str(), k.as_str())].clone()))
        .collect()
}

/// The kill loop, concurrency and multi-night runs. Slow: `cargo test --release -- --skip ::slow::` leaves these out (see README).
mod slow {
    use super::*;

    #[test]
    fn a_real_kill_at_random_moments_never_breaks_the_current_snapshot() {
        let w = Workdir::new();
        let ran = w.run(&["demo", "--dir", "d", "--survivors", "1500", "--seed", "2"]);
        assert_eq!(ran.code, 0, "{}", ran.all());
        let current = w.path().join("d/output/current");
        let survivors = |dir: &Path| -> i64 {
            let conn = tafteesh::warehouse::open(&dir.join("research/warehouse/tafteesh.duckdb")).unwrap();
            conn.query_row("select count(*) from dim_survivors", [], |r| r.get(0))
                .unwrap()
        };
        let expected = survivors(&current);
        let t = Instant::now();
        assert_eq!(w.run(&["run", "--config", "d/config", "--force"]).code, 3);
        let run_ms = t.elapsed().as_millis() as u64;

        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("kill -9 test seed {seed}, a run takes {run_ms} ms");
        let mut state = seed | 1;
        let mut next = || {
            // xorshift: enough randomness for picking moments.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut killed = 0;
        for round in 0..8 {
            let delay = next() % (run_ms + 50);
            let mut child = spawn(&w, &["run", "--config", "d/config", "--force"]);
            std::thread::sleep(Duration::from_millis(delay));
            let _ = child.kill(); // SIGKILL
            let status = child.wait().unwrap();
            killed += usize::from(status.code().is_none());
            // Whatever is current is whole, however far the killed run got.
            assert!(
                current.join("run.json").exists(),
                "round {round} ({delay} ms, {status}): no run.json"
            );
            assert!(
                current.join("manifest.json").exists(),
                "round {round}: no manifest.json"
            );
            assert!(current.join("reports/index.html").exists(), "round {round}: no report");
            assert_eq!(
                survivors(&current),
                expected,
                "round {round} ({delay} ms): current warehouse not whole"
            );
        }
        assert!(killed >= 4, "only {killed} of 8 runs were killed before they ended");
        let after = w.run(&["run", "--config", "d/config"]);
        assert_eq!(after.code, 3, "the next run succeeds without repair:\n{}", after.all());
        for dir in ["d/output/snapshots", "d/output/restricted"] {
            for e in std::fs::read_dir(w.path().join(dir)).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                assert!(!name.starts_with(".building-"), "{dir}/{name} left behind");
            }
        }
        // Kills that happened after the lock was taken are recorded as interrupted runs.
        for line in ledger(&w, "d/output") {
            let status = line["status"].as_str().unwrap();
            assert!(["published", "unchanged", "interrupted"].contains(&status), "{line}");
        }
    }

    #[test]
    fn of_two_runs_started_together_exactly_one_runs() {
        let w = Workdir::new();
        let ran = w.run(&["demo", "--dir", "d", "--survivors", "1500", "--seed", "4"]);
        assert_eq!(ran.code, 0, "{}", ran.all());
        for attempt in 0..3 {
            let a = spawn(&w, &["run", "--config", "d/config", "--force"]);
            let b = spawn(&w, &["run", "--config", "d/config", "--force"]);
            let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
            let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
            let mut sorted = codes;
            sorted.sort();
            if sorted == [3, 3] {
                // The first finished before the second looked: they did not overlap. Try again.
                eprintln!("attempt {attempt}: the runs did not overlap");
                continue;
            }
            assert_eq!(sorted, [3, 5], "one publishes, the other is locked out: {codes:?}");
            let refused = if codes[0] == 5 { &a } else { &b };
            let stderr = String::from_utf8_lossy(&refused.stderr);
            assert!(
                stderr.contains("another run is going") && stderr.contains("pid "),
                "{stderr}"
            );
            return;
        }
        panic!("two runs started together never overlapped");
    }

    #[test]
    fn a_run_after_one_partner_changed_cleans_only_that_partner_and_equals_a_full_rebuild() {
        let w = Workdir::new();
        let ran = w.run(&["demo", "--dir", "d", "--survivors", "400", "--seed", "5"]);
        assert_eq!(ran.code, 0, "{}", ran.all());
        // One partner deletes its first record and re-exports, tonight's
        // date in the file's name: every later record moves up a row and
        // into another file, and is still not a changed record.
        let f = w.path().join("d/inbox/basirhat_nari/kobo_export_2026-10-30.csv");
        let text = std::fs::read_to_string(&f).unwrap();
        let header = text.find('\n').unwrap() + 1;
        let first = header + text[header..].find('\n').unwrap() + 1;
        std::fs::remove_file(&f).unwrap();
        let tonight = w.path().join("d/inbox/basirhat_nari/kobo_export_2026-10-31.csv");
        std::fs::write(&tonight, format!("{}{}", &text[..header], &text[first..])).unwrap();

        let inc = w.run(&["run", "--config", "d/config"]);
        assert_eq!(inc.code, 3, "{}", inc.all());
        let current = w.path().join("d/output/current");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(current.join("run.json")).unwrap()).unwrap();
        assert_eq!(summary["recomputed_partners"], serde_json::json!(["basirhat_nari"]));
        assert_eq!(summary["reused_partners"].as_array().unwrap().len(), 8);
        let incremental = warehouse_contents(&current.join("research/warehouse/tafteesh.duckdb"));
        let incremental_keys = linkage_keys(&w.path().join("d"));
        // Linkage reused the demo run's model and scored only the pairs
        // holding a changed record.
        let (inc_pairs, inc_scored) = linkage_line(&inc.all(), "reused");
        // The linkage page says so, rather than "EM ran N iterations" as if tonight.
        let page = |current: &Path| std::fs::read_to_string(current.join("reports/linkage.html")).unwrap();
        assert!(
            page(&current).contains("The model was not trained tonight but reused: trained in run "),
            "the linkage page names the model's origin"
        );

        let full = w.run(&["run", "--config", "d/config", "--force"]);
        assert_eq!(full.code, 3, "{}", full.all());
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(current.join("run.json")).unwrap()).unwrap();
        assert_eq!(summary["recomputed_partners"].as_array().unwrap().len(), 9);
        let rebuilt = warehouse_contents(&current.join("research/warehouse/tafteesh.duckdb"));
        // The full rebuild keeps the model (one record changed since it was
        // trained) and compares every pair: the same pairs, the same keys.
        let (full_pairs, full_scored) = linkage_line(&full.all(), "reused");
        assert_eq!((inc_pairs, full_scored), (full_pairs, full_pairs));
        assert!(
            inc_scored * 10 < full_scored,
            "the incremental night scored {inc_scored} of {full_scored} pairs"
        );
        assert_eq!(incremental_keys, linkage_keys(&w.path().join("d")));

        assert_eq!(
            incremental.keys().collect::<Vec<_>>(),
            rebuilt.keys().collect::<Vec<_>>()
        );
        for (table, rows) in &rebuilt {
            // The demo's place names are all in the gazetteer, so that list may be empty.
            let may_be_empty = table.starts_with("raw_") || table.contains("unknown_places");
            assert!(!rows.is_empty() || may_be_empty, "{table} is empty");
            assert!(
                incremental[table] == *rows,
                "{table}: incremental differs from a full rebuild"
            );
        }
        // The incremental run did read the changed export: one row fewer than the demo's run.
        let lines = ledger(&w, "d/output");
        let read: Vec<i64> = lines.iter().map(|l| l["rows_read"].as_i64().unwrap()).collect();
        assert_eq!(read[1], read[0] - 1, "{read:?}");
        assert_eq!(read[2], read[1], "{read:?}");
        // Asked to, a run trains the model again.
        let retrained = w.run(&["run", "--config", "d/config", "--force", "--retrain"]);
        assert_eq!(retrained.code, 3, "{}", retrained.all());
        let (pairs, scored) = linkage_line(&retrained.all(), "trained");
        assert_eq!(scored, pairs);
        assert!(retrained.all().contains("--retrain"), "the log says why it trained");
        assert!(page(&current).contains("The model was trained in this run."));
    }

    #[test]
    fn linkage_keys_hold_from_night_to_night_unless_their_records_change() {
        let w = Workdir::new();
        let ran = w.run(&["demo", "--dir", "d", "--survivors", "400", "--seed", "5"]);
        assert_eq!(ran.code, 0, "{}", ran.all());
        let dir = w.path().join("d");
        let first = linkage_keys(&dir);
        assert!(first.keys().any(|k| k.0 == "link_claims"), "the demo has claims");

        // The same exports, rebuilt from scratch: every key as before.
        // Exit 3: published, with the demo's data-quality warnings.
        let ran = w.run(&["run", "--config", "d/config", "--force"]);
        assert_eq!(ran.code, 3, "{}", ran.all());
        assert_eq!(linkage_keys(&dir), first);

        // The collective's register loses its last 10 members (survivors and
        // their claims): only the entities whose records changed may change key.
        let path = dir.join("inbox/bijoy_collective/bijoyini_members.csv");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
        let records: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
        let mut writer = csv::Writer::from_path(&path).unwrap();
        for r in &records[..records.len() - 10] {
            writer.write_byte_record(r).unwrap();
        }
        writer.flush().unwrap();
        let ran = w.run(&["run", "--config", "d/config"]);
        assert_eq!(ran.code, 3, "{}", ran.all());
        let second = linkage_keys(&dir);
        let (before, after) = (co_members(&first), co_members(&second));
        let (mut same_members, mut changed) = (0, 0);
        for (id, members) in &before {
            let Some(now) = after.get(id) else { continue };
            if members == now {
                same_members += 1;
                assert_eq!(first[*id], second[*id], "{id:?} kept its records but not its key");
            } else {
                changed += 1;
            }
        }
        eprintln!("records keeping their co-members: {same_members}; with changed co-members: {changed}");
        assert!(same_members > 500, "{same_members}");
        assert!(changed > 0, "the change reached some linked entity");
        assert!(changed < same_members / 20, "{changed} of {same_members}");
    }
}

#[test]
fn the_same_build_copied_elsewhere_reuses_the_snapshot() {
    // The model fingerprint is the build's identity (its sources), not the
    // binary's size or modification time: installing the same build again
    // (a copy, with a new time, at another path) changes nothing.
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let copy = w.path().join("installed-tafteesh");
    std::fs::copy(env!("CARGO_BIN_EXE_tafteesh"), &copy).unwrap();
    let out = std::process::Command::new(&copy)
        .args(["run", "--config", "config"])
        .current_dir(w.path())
        .env_remove("TAFTEESH_KEY")
        .env_remove("TAFTEESH_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("nothing changed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&copy).unwrap();
}

#[test]
fn the_bench_prints_the_floor_beside_the_runs_and_their_ratios() {
    // A stand-in floor script (the real one needs polars): it must be
    // given the bench's configuration folder, and its seconds are what
    // the ratios divide by.
    let w = Workdir::new();
    let script = w.path().join("floor.py");
    std::fs::write(
        &script,
        "import json, os, sys\n\
         assert os.path.exists(os.path.join(sys.argv[1], 'tafteesh.toml'))\n\
         print(json.dumps({'files': 1, 'rows': 1, 'bytes': 1, 'seconds': 0.5}))\n",
    )
    .unwrap();
    let ran = w.run(&[
        "bench",
        "--survivors",
        "300",
        "--dir",
        "bench",
        "--floor-script",
        script.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.stdout.contains("floor (polars alone"), "{}", ran.stdout);
    assert!(ran.stdout.contains("full run / floor"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("one-partner-changed night / its floor"),
        "{}",
        ran.stdout
    );
    let json: serde_json::Value = serde_json::from_str(ran.stdout.lines().last().unwrap()).unwrap();
    let wall = json["wall_seconds"].as_f64().unwrap();
    let ratio = json["full_over_floor"].as_f64().unwrap();
    assert!((ratio - wall / 0.5).abs() < 1e-9, "{json}");
    assert_eq!(json["floor_seconds"].as_array().unwrap().len(), 3, "{json}");
    assert_eq!(json["partner_floor_seconds"].as_array().unwrap().len(), 3, "{json}");
    // The night's stages, so its fixed cost (linkage, warehouse) shows.
    let stages: Vec<&str> = json["one_partner_changed_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["extract+stage+clean", "link", "warehouse", "report", "research tier"],
        "{json}"
    );
    // The history of nights, one after another, each a share of the full run.
    let nights = json["nights"].as_array().unwrap();
    let what: Vec<&str> = nights.iter().map(|n| n["what"].as_str().unwrap()).collect();
    let starts = [
        "one partner changed",
        "two partners changed",
        "a partner left",
        "a partner joined",
        "one record edited in place",
        "nothing changed",
    ];
    assert_eq!(what.len(), starts.len(), "{what:?}");
    for (w, s) in what.iter().zip(starts) {
        assert!(w.starts_with(s), "{what:?}");
    }
    let cleaned: Vec<u64> = nights.iter().map(|n| n["partners_cleaned"].as_u64().unwrap()).collect();
    // Every changed night published (cleaning what changed: none when a
    // partner only left); the last night changed nothing and published nothing.
    assert_eq!(cleaned, [1, 2, 0, 1, 1, 0], "{json}");
    assert!(
        nights[..5].iter().all(|n| !n["stages"].as_array().unwrap().is_empty()),
        "{json}"
    );
    assert!(nights[5]["stages"].as_array().unwrap().is_empty(), "{json}");
    for n in nights {
        let share = n["share_of_full"].as_f64().unwrap();
        assert!((share - n["seconds"].as_f64().unwrap() / wall).abs() < 1e-9, "{json}");
    }
    assert!(ran.stdout.contains("nights, one after another"), "{}", ran.stdout);
    assert!(ran.stdout.contains("slowest warehouse steps: "), "{}", ran.stdout);
    // The bench put the partner that left back.
    let pipelines: Vec<String> = std::fs::read_dir(w.path().join("bench/config/pipelines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(pipelines.len(), 9, "{pipelines:?}");
    assert!(pipelines.iter().all(|p| p.ends_with(".toml")), "{pipelines:?}");
    // The night deleted records from the partner's export, and linkage saw
    // them change (a night that changes no record would rescore nothing).
    assert!(
        json["one_partner_changed_deleted_records"].as_u64().unwrap() >= 1,
        "{json}"
    );
    assert!(
        json["one_partner_changed_linkage"]["records_changed"].as_u64().unwrap() >= 1,
        "{json}"
    );
    // A fresh folder has no indicator history yet.
    assert_eq!(json["history_runs"], 0, "{json}");
    assert!(
        ran.stdout.contains("    its stages: extract+stage+clean "),
        "{}",
        ran.stdout
    );
    // The night split as the goal reads it: the changed partner's own
    // clean against its floor, and the fixed cost, together the night.
    let own = json["one_partner_changed_own_seconds"].as_f64().unwrap();
    let fixed = json["one_partner_changed_fixed_seconds"].as_f64().unwrap();
    let night = json["one_partner_changed_seconds"].as_f64().unwrap();
    assert!(own > 0.0 && fixed > 0.0, "{json}");
    assert!((own + fixed - night).abs() < 1e-9, "{json}");
    let clean = json["one_partner_changed_stages"][0]["seconds"].as_f64().unwrap();
    assert!((own - clean).abs() < 1e-9, "{json}");
    assert!(
        (json["one_partner_changed_own_over_its_floor"].as_f64().unwrap() - own / 0.5).abs() < 1e-9,
        "{json}"
    );
    assert!(ran.stdout.contains("    of which its own clean "), "{}", ran.stdout);

    // Without a Python that runs the floor, the bench still runs and says why.
    let ran = w.run(&[
        "bench",
        "--survivors",
        "300",
        "--dir",
        "bench",
        "--floor-python",
        "/nonexistent/python",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.stdout.contains("floor not measured"), "{}", ran.stdout);
    // The first bench published seven runs (the full run, the night and
    // five nights of its history; the sixth changed nothing), whose figures
    // this one's warehouse loaded: it says so beside its times.
    assert!(
        ran.stdout
            .contains("the warehouse loaded the indicator history of 7 earlier run(s)"),
        "{}",
        ran.stdout
    );
}

/// The current warehouse's `indicator_history` against the history
/// folder's files, each (figure, run) once on both sides: how many rows
/// each side has that the other lacks.
fn history_differences(output: &Path) -> (i64, i64, i64) {
    let conn = tafteesh::warehouse::open(&output.join("current/research/warehouse/tafteesh.duckdb")).unwrap();
    let (names, _) = query_text(&conn, "select * from indicator_history limit 0");
    let cols = names.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let files = format!(
        "read_parquet('{}/*.parquet', union_by_name = true)",
        output.join("history/indicator_values").display()
    );
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    (
        count(&format!(
            "select count(*) from (select {cols} from {files} except all select {cols} from indicator_history)"
        )),
        count(&format!(
            "select count(*) from (select {cols} from indicator_history except all select {cols} from {files})"
        )),
        count("select count(distinct run_id) from indicator_history"),
    )
}

#[test]
fn the_indicator_history_is_carried_forward_and_equals_the_history_files() {
    let w = Workdir::new();
    fixture_setup(&w);
    let output = w.path().join("output");
    let first = w.run(&["run", "--config", "config"]);
    assert_eq!(first.code, 4, "{}", first.all());
    let first_id = std::fs::read_link(output.join("current")).unwrap();
    assert_eq!(history_differences(&output), (0, 0, 1));
    // A second run carries the first one's validity ranges forward.
    let second = w.run(&["run", "--config", "config", "--force"]);
    assert_eq!(second.code, 4, "{}", second.all());
    assert!(!second.all().contains("rebuilt from its files"), "{}", second.all());
    assert_eq!(history_differences(&output), (0, 0, 2));
    // One partner's export changes: some figures change, the rest hold.
    let export = w
        .path()
        .join("inbox/fixture_lawyers/cross_field_contradictions_and_a_repeated_case_id.csv");
    let text = std::fs::read_to_string(&export).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&export, format!("{}\n", kept[..kept.len() - 2].join("\n"))).unwrap();
    let third = w.run(&["run", "--config", "config"]);
    assert!(third.code == 3 || third.code == 4, "{}", third.all());
    assert!(!third.all().contains("rebuilt from its files"), "{}", third.all());
    assert_eq!(history_differences(&output), (0, 0, 3));
    let conn = tafteesh::warehouse::open(&output.join("current/research/warehouse/tafteesh.duckdb")).unwrap();
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("select count(*) from {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let (spans, rows) = (count("indicator_history_spans"), count("indicator_history"));
    drop(conn);
    assert!(
        spans < rows,
        "figures that held are kept once: {spans} spans, {rows} rows"
    );
    // After a rollback the current warehouse lacks runs the folder holds:
    // the next run rebuilds the history from the files, to the same rows.
    let id = first_id.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(w.run(&["rollback", "--config", "config", &id]).code, 0);
    let after = w.run(&["run", "--config", "config", "--force"]);
    assert!(after.code == 3 || after.code == 4, "{}", after.all());
    assert!(
        after
            .all()
            .contains("the previous warehouse's runs are not the history folder's"),
        "{}",
        after.all()
    );
    assert_eq!(history_differences(&output), (0, 0, 4));
}
