//! The research team opens the warehouse with Python's duckdb package and
//! reads the lake with pyarrow. This runs those real clients on a real run.

use std::process::Command;

use crate::util::Workdir;

fn python_has(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn python_duckdb_and_pyarrow_read_what_the_run_wrote() {
    if !python_has("duckdb, pyarrow.parquet") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install the python packages duckdb and pyarrow (see .ci/run)"
        );
        eprintln!("SKIPPED: python3 with duckdb and pyarrow is not installed here (pip install duckdb pyarrow)");
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
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(current.join("warehouse/tafteesh.duckdb"))
        .arg(current.join("lake"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<usize> = text.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(nums[0] > 0 && nums[1] > 0 && nums[2] >= nums[1], "{text}");
}
