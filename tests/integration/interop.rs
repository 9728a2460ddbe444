//! The research team opens the warehouse with Python's duckdb package and
//! reads the lake with pyarrow. This runs those real clients on a real run.

use std::process::Command;

use crate::util::Workdir;

/// Whether python3 can import `modules`; when it cannot, says the test (or
/// its part `what`) skipped, and fails under CI, which must install them.
fn python_or_skip(modules: &str, what: &str) -> bool {
    let has = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install python3 able to import {modules} (see .ci/run)"
    );
    eprintln!("SKIPPED: {what} needs python3 able to import {modules}");
    false
}

/// Run a Python `script` with `args` on `python`; it must succeed, and its
/// standard output is returned.
fn run_python(python: impl AsRef<std::ffi::OsStr>, script: &str, args: &[&std::path::Path]) -> String {
    let out = Command::new(python).args(["-c", script]).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn python_duckdb_and_pyarrow_read_what_the_run_wrote() {
    if !python_or_skip("duckdb, pyarrow.parquet", "this test") {
        return;
    }
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "3"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let current = w.path().join("d/output/current");
    let script = r#"
import sys, duckdb, pyarrow.parquet as pq
db, lake = sys.argv[1], sys.argv[2]
con = duckdb.connect(db, read_only=True)
n_ind = con.execute("select count(*) from indicator_values").fetchone()[0]
n_surv = con.execute("select count(*) from dim_survivors").fetchone()[0]
t = pq.read_table(lake + "/survivors")
assert "full_name" not in t.column_names and "full_name_token" in t.column_names, t.column_names
print(n_ind, n_surv, t.num_rows)
"#;
    let text = run_python(
        "python3",
        script,
        &[&current.join("warehouse/tafteesh.duckdb"), &current.join("lake")],
    );
    let nums: Vec<usize> = text.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(nums[0] > 0 && nums[1] > 0 && nums[2] >= nums[1], "{text}");
}

/// The clients researchers have from last year: DuckDB 1.1 (the R package
/// on CRAN and Metabase's driver are 1.x too) opens the warehouse, with its
/// views (in `main` and in `staging`) and macros (`periods_of` looks its
/// calendar up in a subquery), and pyarrow 14 reads every Parquet file of
/// the lake.
/// They live in a Python environment of their own (`.ci/run` makes it at
/// `$HOME/.cache/tafteesh-old-clients` and names its python in
/// `TAFTEESH_OLD_CLIENTS_PYTHON`); without one the test skips and says so.
#[test]
fn duckdb_1_1_opens_the_warehouse_and_pyarrow_14_reads_the_lake() {
    let Some(python) = std::env::var_os("TAFTEESH_OLD_CLIENTS_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TAFTEESH_OLD_CLIENTS_PYTHON (see .ci/run)"
        );
        eprintln!("SKIPPED: set TAFTEESH_OLD_CLIENTS_PYTHON to a python with duckdb==1.1.3 and pyarrow==14.*");
        return;
    };
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let current = w.path().join("d/output/current");
    let script = r#"
import sys, glob, duckdb, pyarrow, pyarrow.parquet as pq
assert duckdb.__version__.startswith("1.1."), duckdb.__version__
assert pyarrow.__version__.startswith("14."), pyarrow.__version__
db, lake = sys.argv[1], sys.argv[2]
con = duckdb.connect(db, read_only=True)
tables = con.execute("select count(*) from information_schema.tables").fetchone()[0]
n = con.execute("select count(*) from indicator_values").fetchone()[0]
fy = con.execute("select financial_year(date '2024-04-01')").fetchone()[0]
# The period lookup's calendar subquery, and the views built at once in staging.
quarter = con.execute("select periods_of(date '2024-04-01')[2]").fetchone()[0]
staged = con.execute("select count(*) from staging.stg_lake__survivors").fetchone()[0]
raw = con.execute("select count(*) from staging.raw_survivors").fetchone()[0]
files = glob.glob(lake + "/**/*.parquet", recursive=True)
rows = sum(pq.read_table(f).num_rows for f in files)
print(tables, n, fy.replace(" ", "_"), len(files), rows, quarter.replace(" ", "_"), staged == raw > 0)
"#;
    let text = run_python(
        python,
        script,
        &[&current.join("warehouse/tafteesh.duckdb"), &current.join("lake")],
    );
    let f: Vec<&str> = text.split_whitespace().collect();
    assert!(f.len() == 7, "{text}");
    assert!(
        f[0].parse::<usize>().unwrap() > 20 && f[1].parse::<usize>().unwrap() > 0,
        "{text}"
    );
    assert_eq!(f[2], "FY_2024-25", "{text}");
    assert!(
        f[3].parse::<usize>().unwrap() > 10 && f[4].parse::<usize>().unwrap() > 300,
        "{text}"
    );
    assert_eq!((f[5], f[6]), ("FY_2024-25_Q1", "True"), "{text}");
}

/// Every file of a published snapshot has its write bits cleared; the next
/// night's run (which shares unchanged files with it by hard link) still
/// publishes; and a researcher's own database attaches the warehouse
/// read-only and builds on it without touching it.
#[test]
fn a_published_snapshot_is_read_only_and_a_study_database_attaches_it() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { files(&p, out) } else { out.push(p) }
        }
    }
    let current = w.path().join("d/output/current");
    let mut published = Vec::new();
    files(&current, &mut published);
    assert!(published.len() > 10, "{published:?}");
    for f in &published {
        let mode = std::fs::metadata(f).unwrap().permissions().mode();
        assert_eq!(mode & 0o222, 0, "{} is writable ({mode:o})", f.display());
    }
    // The next run, with one partner's export touched, publishes as before.
    let inbox = w.path().join("d/inbox/sundarban_sathi");
    let export = std::fs::read_dir(&inbox).unwrap().next().unwrap().unwrap().path();
    let mut text = std::fs::read(&export).unwrap();
    text.extend_from_slice(b"\n");
    std::fs::write(&export, text).unwrap();
    let again = w.run(&["run", "--config", "d/config"]);
    assert!(matches!(again.code, 0 | 3), "{}", again.all());

    if !python_or_skip("duckdb", "the study-database half") {
        return;
    }
    let db = current.join("warehouse/tafteesh.duckdb");
    let before = std::fs::read(&db).unwrap();
    let script = r#"
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute(f"attach '{sys.argv[1]}' as tafteesh (read_only)")
con.execute("create table mine as select count(*) as n from tafteesh.fct_cases")
print(con.execute("select n from mine").fetchone()[0])
"#;
    let text = run_python("python3", script, &[&db, &w.path().join("my_study.duckdb")]);
    assert!(text.trim().parse::<u64>().unwrap() > 0);
    assert!(std::fs::read(&db).unwrap() == before, "the warehouse changed");
}
