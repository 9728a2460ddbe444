//! What an operator relies on when cron runs the job unattended: one run at
//! a time, and nothing half built left behind.

use crate::fixtures::fixture_setup;
use crate::util::Workdir;

fn unfinished(w: &Workdir) -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["output/snapshots", "output/restricted"] {
        if let Ok(entries) = std::fs::read_dir(w.path().join(dir)) {
            for e in entries {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                if name.starts_with(".building-") {
                    out.push(format!("{dir}/{name}"));
                }
            }
        }
    }
    out
}

#[test]
fn a_second_run_is_refused_while_one_holds_the_lock() {
    let w = Workdir::new();
    fixture_setup(&w);
    let held = tafteesh::run::lock::RunLock::acquire(&tafteesh::layout::Layout::new(&w.path().join("output"))).unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 5, "{}", ran.all());
    assert!(ran.stderr.contains("another run is going"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!("pid {}", std::process::id())),
        "names the holder: {}",
        ran.stderr
    );
    assert!(
        !w.path().join("output/current").exists(),
        "the refused run published nothing"
    );
    drop(held);
    assert_eq!(
        w.run(&["run", "--config", "config"]).code,
        4,
        "runs once the lock is free"
    );
}

#[test]
fn what_a_killed_run_left_unfinished_is_removed_by_the_next() {
    let w = Workdir::new();
    fixture_setup(&w);
    for dir in [
        "output/snapshots/.building-killed",
        "output/restricted/.building-killed/staged",
    ] {
        std::fs::create_dir_all(w.path().join(dir)).unwrap();
        std::fs::write(w.path().join(dir).join("part.parquet"), b"half written").unwrap();
    }
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(unfinished(&w).is_empty(), "left behind: {:?}", unfinished(&w));
    assert!(
        w.path()
            .join("output/current/research/warehouse/tafteesh.duckdb")
            .exists()
    );
}

#[test]
fn a_failed_run_removes_what_it_half_built_and_keeps_the_last_snapshot() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let before = std::fs::read_link(w.path().join("output/current")).unwrap();
    // The inbox vanishes between two runs: the second run cannot read it.
    std::fs::remove_dir_all(w.path().join("inbox")).unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert!(unfinished(&w).is_empty(), "left behind: {:?}", unfinished(&w));
    assert_eq!(
        std::fs::read_link(w.path().join("output/current")).unwrap(),
        before,
        "the last good snapshot stays current"
    );
    assert!(w.path().join("output/current/reports/index.html").exists());
}

#[test]
fn old_snapshots_are_pruned_by_the_retention_policy_and_listed() {
    let w = Workdir::new();
    fixture_setup(&w);
    let toml = w.path().join("config/tafteesh.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n[retention]\nkeep_last = 2\nkeep_days = 0\n")).unwrap();
    for _ in 0..4 {
        assert_eq!(w.run(&["run", "--config", "config", "--force"]).code, 4);
    }
    let left: Vec<String> = std::fs::read_dir(w.path().join("output/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    let current = std::fs::read_link(w.path().join("output/current")).unwrap();
    assert!(left.iter().any(|s| current.ends_with(s)), "current kept: {left:?}");
    let listed = w.run(&["snapshots", "--config", "config"]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    let current_line = listed
        .stdout
        .lines()
        .find(|l| l.starts_with('*'))
        .expect("current marked");
    assert!(current_line.contains("survivors 18"), "{}", listed.stdout);
    assert_eq!(
        listed.stdout.lines().filter(|l| l.contains("survivors 18")).count(),
        2,
        "{}",
        listed.stdout
    );
}

#[test]
fn rollback_makes_an_earlier_snapshot_current_and_refuses_unknown_ones() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let first = std::fs::read_link(w.path().join("output/current")).unwrap();
    assert_eq!(w.run(&["run", "--config", "config", "--force"]).code, 4);
    assert_ne!(std::fs::read_link(w.path().join("output/current")).unwrap(), first);
    let id = first.file_name().unwrap().to_string_lossy().into_owned();
    let ran = w.run(&["rollback", "--config", "config", &id]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(std::fs::read_link(w.path().join("output/current")).unwrap(), first);
    let bad = w.run(&["rollback", "--config", "config", "19990101T000000000Z"]);
    assert_eq!(bad.code, 2, "{}", bad.all());
    assert!(
        bad.stderr.contains("no snapshot `19990101T000000000Z`"),
        "{}",
        bad.stderr
    );
}

/// A run killed at every stage boundary. Slow: `cargo test --release -- --skip ::slow::` leaves these out (see README).
mod slow {
    use super::*;

    #[test]
    fn a_crash_at_any_stage_boundary_keeps_a_whole_snapshot_current_and_the_next_run_succeeds() {
        let w = Workdir::new();
        fixture_setup(&w);
        assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
        let current = w.path().join("output/current");
        for point in [
            "clean",
            "lake",
            "warehouse",
            "report",
            "manifest",
            "snapshot-renamed",
            "current-switched",
        ] {
            let before = std::fs::read_link(&current).unwrap();
            let ran = w.run_with_env(
                &["run", "--config", "config", "--force"],
                &[("TAFTEESH_FAIL_AFTER", point)],
            );
            assert_eq!(ran.code, -1, "{point}: the process should have died:\n{}", ran.all());
            let after = std::fs::read_link(&current).unwrap();
            if point == "current-switched" {
                assert_ne!(after, before, "{point}: the new snapshot was already published");
            } else {
                assert_eq!(after, before, "{point}: the last good snapshot stays current");
            }
            // Whatever is current is whole: its warehouse opens and holds every kept record.
            let conn = tafteesh::warehouse::open(&current.join("research/warehouse/tafteesh.duckdb")).unwrap();
            let n: i64 = conn
                .query_row("select count(*) from dim_survivors", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 18, "{point}: the current warehouse is not whole");
            drop(conn);
            assert!(current.join("reports/index.html").exists() && current.join("run.json").exists());
            let next = w.run(&["run", "--config", "config"]);
            assert_eq!(
                next.code,
                4,
                "{point}: the next run must succeed without repair:\n{}",
                next.all()
            );
            assert!(unfinished(&w).is_empty(), "{point}: left behind: {:?}", unfinished(&w));
        }
    }
}

/// The fixture inbox holds a workbook whose sheet is misnamed: the run is
/// partial (exit 4), and what it could not use must reach the alert.
#[test]
fn the_on_failure_command_and_the_log_say_which_files_a_partial_run_could_not_use() {
    let w = Workdir::new();
    fixture_setup(&w);
    let hook = "printf '%s|%s' \"$TAFTEESH_EXIT_CODE\" \"$TAFTEESH_ERROR\" > alert.txt";
    let ran = w.run(&["run", "--config", "config", "--on-failure", hook]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    // The file by its alias, which `tafteesh files` looks up; never its name.
    let sheet = crate::util::alias_of(&w, "config", "fixture_ngo/wrong_sheet_name.xlsx");
    let alert = std::fs::read_to_string(w.path().join("alert.txt")).unwrap();
    assert!(alert.starts_with("4|"), "{alert}");
    assert!(
        alert.contains("could not be used") && alert.contains(&format!("{sheet} (fixture_ngo)")),
        "{alert}"
    );
    assert!(!alert.contains("wrong_sheet_name"), "{alert}");
    assert!(
        ran.stderr.contains("WARN") && ran.stderr.contains(&sheet),
        "{}",
        ran.stderr
    );
    // The ledger keeps the reason, and a night with nothing new repeats it.
    std::fs::remove_file(w.path().join("alert.txt")).unwrap();
    let again = w.run(&["run", "--config", "config", "--on-failure", hook]);
    assert_eq!(again.code, 4, "{}", again.all());
    let alert = std::fs::read_to_string(w.path().join("alert.txt")).unwrap();
    assert!(
        alert.starts_with("4|nothing changed since snapshot") && alert.contains(&sheet),
        "{alert}"
    );
    let status = w.run(&["status", "--config", "config"]);
    assert!(status.stdout.contains(&sheet), "{}", status.stdout);
}

/// `tafteesh status | head -1`: the reader goes after one line.
#[test]
fn a_closed_pipe_ends_a_listing_quietly_and_does_not_stop_a_run() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    for args in [
        &["status", "--config", "config"][..],
        &["validate", "--config", "config"],
        &["snapshots", "--config", "config"],
        &["run", "--config", "config", "--force"],
    ] {
        let mut child = crate::util::spawn(&w, args);
        // Close the reading end before the command prints anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        if args[0] == "run" {
            assert_eq!(out.status.code(), Some(4), "the run finishes: {stderr}");
        }
    }
}

#[test]
fn a_missing_or_unsafe_key_is_a_configuration_error_that_says_what_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    fixture_setup(&w);
    let key = w.path().join("key/pseudonym.key");
    std::fs::rename(&key, w.path().join("key/elsewhere.key")).unwrap();
    for command in ["run", "validate"] {
        let ran = w.run(&[command, "--config", "config"]);
        assert_eq!(ran.code, 6, "{command}: {}", ran.all());
        assert!(
            ran.stderr.contains("pseudonym.key") && ran.stderr.contains("run `tafteesh keygen"),
            "{command}: {}",
            ran.stderr
        );
    }
    std::fs::rename(w.path().join("key/elsewhere.key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    for command in ["run", "validate"] {
        let ran = w.run(&[command, "--config", "config"]);
        assert_eq!(ran.code, 6, "{command}: {}", ran.all());
        assert!(ran.stderr.contains("chmod 600"), "{command}: {}", ran.stderr);
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.stdout.contains("ok: the pseudonymisation key"), "{}", ran.stdout);
}

#[test]
fn validate_checks_the_inbox_and_the_output_folder_and_a_wrong_config_path_is_named() {
    let w = Workdir::new();
    fixture_setup(&w);
    std::fs::rename(w.path().join("inbox"), w.path().join("inbox-away")).unwrap();
    // The output's parent is a file: nothing can be made there.
    std::fs::write(w.path().join("not-a-folder"), "x").unwrap();
    let toml = w.path().join("config/tafteesh.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("../output", "../not-a-folder/output")).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(
        ran.stderr.contains("inbox") && ran.stderr.contains("does not exist or is not a folder"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("not-a-folder is not a folder"), "{}", ran.stderr);
    for command in ["run", "validate", "status"] {
        let ran = w.run(&[command, "--config", "conf/tafteesh.toml"]);
        assert_eq!(ran.code, 6, "{command}: {}", ran.all());
        assert!(
            ran.stderr.contains("conf/tafteesh.toml") && ran.stderr.contains("the configuration cannot be read"),
            "{command}: {}",
            ran.stderr
        );
    }
}

#[test]
fn refused_runs_and_rollbacks_leave_ledger_lines_and_status_shows_a_run_going() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let first = std::fs::read_link(w.path().join("output/current")).unwrap();
    // A run that holds the lock a while, as a long night's run would.
    let going = crate::util::spawn_with_env(
        &w,
        &["run", "--config", "config", "--force"],
        &[("TAFTEESH_TEST_HOLD_LOCK_MS", "4000")],
    );
    let holder = format!("tafteesh pid {}", going.id());
    let started = std::time::Instant::now();
    let mut seen = String::new();
    while started.elapsed().as_secs() < 3 && !seen.contains(&holder) {
        seen = w.run(&["status", "--config", "config"]).stdout;
    }
    assert!(seen.contains(&format!("a run is going now: {holder}")), "{seen}");
    let refused = w.run(&["run", "--config", "config", "--force"]);
    assert_eq!(refused.code, 5, "{}", refused.all());
    let id = first.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(w.run(&["rollback", "--config", "config", &id]).code, 5);
    assert_eq!(going.wait_with_output().unwrap().status.code(), Some(4));
    let status = w.run(&["status", "--config", "config"]);
    assert!(status.stdout.contains("no run is going now"), "{}", status.stdout);
    assert_eq!(w.run(&["rollback", "--config", "config", &id]).code, 0);
    let ledger = std::fs::read_to_string(w.path().join("output/ledger.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = ledger.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let with = |status: &str| lines.iter().filter(|l| l["status"] == status).collect::<Vec<_>>();
    assert_eq!(with("refused").len(), 2, "{ledger}");
    assert!(
        with("refused")
            .iter()
            .all(|l| l["exit_code"] == 5 && l["error"].as_str().unwrap().contains("another run is going"))
    );
    let back = with("rolled_back");
    assert_eq!(back.len(), 1, "{ledger}");
    assert_eq!(back[0]["snapshot"], id.as_str());
    let status = w.run(&["status", "--config", "config"]);
    assert!(
        status.stdout.contains("rolled_back") && status.stdout.contains("refused"),
        "{}",
        status.stdout
    );
}

/// At a terminal (here a pseudo-terminal from `script`), the long stages
/// draw bars; under cron nothing but log lines.
#[test]
fn the_long_stages_draw_progress_on_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let w = Workdir::new();
    fixture_setup(&w);
    let cmd = format!("{} run --config config --force", env!("CARGO_BIN_EXE_tafteesh"));
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(w.path())
        .env_remove("TAFTEESH_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for bar in ["partners", "linkage", "warehouse models"] {
        assert!(text.contains(bar), "no `{bar}` bar in:\n{text}");
    }
    let quiet = w.run(&["run", "--config", "config", "--force"]);
    assert!(!quiet.stderr.contains("warehouse models"), "{}", quiet.stderr);
}
