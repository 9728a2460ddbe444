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
    assert!(w.path().join("output/current/warehouse/tafteesh.duckdb").exists());
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
            let conn = tafteesh::warehouse::open(&current.join("warehouse/tafteesh.duckdb")).unwrap();
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
