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
assert not [c for c in t.column_names if c.startswith("full_name")], t.column_names
assert "survivor_record_key" in t.column_names, t.column_names
# A lake row names its record as the marts do.
joined = con.execute("select count(*) from t join dim_survivors using (survivor_record_key)").fetchone()[0]
print(n_ind, n_surv, t.num_rows, joined)
"#;
    let text = run_python(
        "python3",
        script,
        &[
            &current.join("research/warehouse/tafteesh.duckdb"),
            &current.join("research/lake"),
        ],
    );
    let nums: Vec<usize> = text.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(
        nums[0] > 0 && nums[1] > 0 && nums[2] >= nums[1] && nums[3] >= nums[1],
        "{text}"
    );
}

/// The clients researchers have from last year: DuckDB 1.1 (the R package
/// on CRAN and Metabase's driver are 1.x too) opens the warehouse, with its
/// macros (`periods_of` looks its
/// calendar up in a subquery), and pyarrow 14 reads every Parquet file of
/// the lake and the marts.
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
# The period lookup's calendar subquery; and no copy of the lake (no
# staging schema: the lake is read from its Parquet files).
quarter = con.execute("select periods_of(date '2024-04-01')[2]").fetchone()[0]
staged = con.execute("select count(*) from information_schema.schemata where schema_name = 'staging'").fetchone()[0]
raw = con.execute("select count(*) from dim_survivors").fetchone()[0]
files = glob.glob(lake + "/**/*.parquet", recursive=True)
rows = sum(pq.read_table(f).num_rows for f in files)
# The marts, as pyarrow 14 and DuckDB 1.1 read them.
marts = sorted(glob.glob(sys.argv[3] + "/*.parquet"))
assert len(marts) > 15, marts
for f in marts:
    t = pq.read_table(f)
    assert t.num_rows == duckdb.sql(f"select count(*) from read_parquet('{f}')").fetchone()[0], f
print(tables, n, fy.replace(" ", "_"), len(files), rows, quarter.replace(" ", "_"), staged == 0 and raw > 0, len(marts))
"#;
    let text = run_python(
        python,
        script,
        &[
            &current.join("research/warehouse/tafteesh.duckdb"),
            &current.join("research/lake"),
            &current.join("research/marts"),
        ],
    );
    let f: Vec<&str> = text.split_whitespace().collect();
    assert!(f.len() == 8, "{text}");
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
    let db = current.join("research/warehouse/tafteesh.duckdb");
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

/// The name and id of the group the tests run as.
fn own_group() -> (String, u32) {
    // SAFETY: getgrgid returns a pointer into static storage or null.
    unsafe {
        let gid = libc::getegid();
        let g = libc::getgrgid(gid);
        assert!(!g.is_null(), "the test's own group has a name");
        (
            std::ffi::CStr::from_ptr((*g).gr_name).to_string_lossy().into_owned(),
            gid,
        )
    }
}

/// A snapshot's two tiers have their own readers: `reports/` every user,
/// `research/` (the research lake, the warehouse, the marts) and the
/// unsuppressed indicator history the job's user only, or the group
/// `[access]` names; the snapshot's own lake the job's user only;
/// the unsuppressed values are in the warehouse only (not as a file beside
/// it); no published name starts with `_` or `.`, which Spark and pyarrow
/// skip; and `status` says who can read what.
#[test]
fn each_tier_has_its_readers_and_nothing_published_is_hidden() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let output = w.path().join("d/output");
    let current = output.join("current");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&current.join("reports")), 0o755);
    assert_eq!(mode(&current.join("research")), 0o700);
    assert_eq!(mode(&output.join("history")), 0o700);
    let published = crate::util::walk(&std::fs::canonicalize(&current).unwrap());
    for (p, _) in &published {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            !name.starts_with(['_', '.']),
            "{} is hidden from Spark and pyarrow",
            p.display()
        );
        assert_ne!(
            name, "indicator_values.parquet",
            "unsuppressed values beside the warehouse"
        );
    }
    let status = w.run(&["status", "--config", "d/config"]);
    assert!(
        status.stdout.contains("research/, history/ (microdata)")
            && status.stdout.contains("the job's user only")
            && status.stdout.contains("every user of this machine"),
        "{}",
        status.stdout
    );

    // A research group: the tier is the group's, 0750.
    let (group, gid) = own_group();
    let config = w.path().join("d/config/tafteesh.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[access]\nresearch_group = \"{group}\"\nreports_public = false\n"
    ));
    std::fs::write(&config, text).unwrap();
    // Snapshots kept from before the research tier was minimal: one with
    // its lake and warehouse at the top, readable by every user, and one
    // with the whole lake under `research/`. The next publish closes their
    // microdata to all but the job's user; the group reads only a minimal
    // tier.
    let ago = |h: i64| tafteesh::layout::run_id(chrono::Utc::now() - chrono::Duration::hours(h));
    let (flat, tiered) = (
        output.join("snapshots").join(ago(2)),
        output.join("snapshots").join(ago(1)),
    );
    for d in ["lake/cases", "warehouse", "reports"] {
        std::fs::create_dir_all(flat.join(d)).unwrap();
    }
    for d in ["research/lake/link_survivors", "research/warehouse", "reports"] {
        std::fs::create_dir_all(tiered.join(d)).unwrap();
    }
    std::fs::set_permissions(flat.join("lake"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(tiered.join("research"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let again = w.run(&["run", "--config", "d/config", "--force"]);
    assert!(matches!(again.code, 0 | 3), "{}", again.all());
    assert_eq!(mode(&flat.join("lake")), 0o700);
    assert_eq!(mode(&flat.join("warehouse")), 0o700);
    assert_eq!(mode(&flat.join("reports")), 0o700);
    assert_eq!(mode(&tiered.join("research")), 0o700);
    assert_eq!(mode(&current.join("lake")), 0o700);
    let research = std::fs::metadata(current.join("research")).unwrap();
    assert_eq!((research.permissions().mode() & 0o777, research.gid()), (0o750, gid));
    assert_eq!(mode(&current.join("reports")), 0o700);
    let status = w.run(&["status", "--config", "d/config"]);
    assert!(
        status.stdout.contains(&format!("the members of group `{group}`")),
        "{}",
        status.stdout
    );

    // A group the machine lacks is a configuration error naming the file.
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("research_group = \"{group}\""),
        "research_group = \"tafteesh-no-such-group\"",
    );
    std::fs::write(&config, text).unwrap();
    let refused = w.run(&["validate", "--config", "d/config"]);
    assert_eq!(refused.code, 6, "{}", refused.all());
    assert!(
        refused.all().contains("tafteesh.toml") && refused.all().contains("no group `tafteesh-no-such-group`"),
        "{}",
        refused.all()
    );
}

/// Every view of the warehouse reads when the file is attached under
/// another name, without `USE` (DuckDB 2.0 binds a view's tables in its own
/// database), and every column of every table and view is described.
#[test]
fn every_view_reads_through_another_name_and_every_column_is_described() {
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let db = w.path().join("d/output/current/research/warehouse/tafteesh.duckdb");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!("attach '{}' as snapshot_2026 (read_only)", db.display()))
        .unwrap();
    let views: Vec<(String, String)> = conn
        .prepare(
            "select schema_name, view_name from duckdb_views() where database_name = 'snapshot_2026' and not internal",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(views.len() >= 6, "{views:?}");
    for (schema, view) in &views {
        conn.prepare(&format!("select * from snapshot_2026.\"{schema}\".\"{view}\" limit 1"))
            .and_then(|mut s| s.query([]).map(|_| ()))
            .unwrap_or_else(|e| panic!("{schema}.{view} does not read through another name: {e}"));
    }
    let undescribed: Vec<String> = conn
        .prepare(
            "select table_name || '.' || column_name from duckdb_columns()
             where database_name = 'snapshot_2026' and schema_name = 'main' and comment is null",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(undescribed.is_empty(), "columns without a description: {undescribed:?}");
}

/// The marts beside the warehouse hold what its tables hold, with the
/// warehouse's comments in each file's metadata, and read in the engines a
/// research team uses: DuckDB and polars here, pyarrow, DataFusion and
/// Spark in Python where they are installed (CI installs them).
#[test]
fn the_marts_hold_the_warehouse_and_read_in_every_engine() {
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let research = w.path().join("d/output/current/research");
    let project = tafteesh::warehouse::Project::load().unwrap();
    let names = tafteesh::warehouse::marts::names(&project);
    assert!(
        names.len() > 15 && names.iter().any(|n| n == "indicator_values_published"),
        "{names:?}"
    );
    let conn = tafteesh::warehouse::open(&research.join("warehouse/tafteesh.duckdb")).unwrap();
    for name in &names {
        let file = research.join(format!("marts/{name}.parquet"));
        let path = file.display().to_string();
        let (in_file, in_warehouse): (i64, i64) = conn
            .query_row(
                &format!(
                    "select (select count(*) from read_parquet('{path}')), (select count(*) from main.\"{name}\")"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(in_file, in_warehouse, "{name}");
        let same: bool = conn
            .query_row(
                &format!(
                    "select count(*) = 0 from (select * from main.\"{name}\" except all select * from read_parquet('{path}'))"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(same, "{name}: the mart's rows differ from the warehouse's");
        let columns: i64 = conn
            .query_row(&format!("select count(*) from (describe main.\"{name}\")"), [], |r| {
                r.get(0)
            })
            .unwrap();
        let comments: i64 = conn
            .query_row(
                &format!("select count(*) from parquet_kv_metadata('{path}') where decode(key) like 'comment:%'"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(comments, columns, "{name}: a column's comment is missing from the file");
        // polars, as a researcher's script would scan it.
        let height = tafteesh::lake::read(&file).unwrap().height() as i64;
        assert_eq!(height, in_file, "{name} in polars");
    }
    // The published values are suppressed in the file too.
    let leaked: i64 = conn
        .query_row(
            &format!(
                "select count(*) from read_parquet('{}') where suppressed and (value is not null or numerator is not null)",
                research.join("marts/indicator_values_published.parquet").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);

    if !python_or_skip("pyarrow.parquet, datafusion", "the pyarrow and DataFusion half") {
        return;
    }
    let script = r#"
import sys, glob, pyarrow.parquet as pq, datafusion
marts = sys.argv[1]
ctx = datafusion.SessionContext()
rows = 0
for f in sorted(glob.glob(marts + "/*.parquet")):
    name = f.rsplit("/", 1)[1][:-8]
    t = pq.read_table(f)
    assert (pq.read_schema(f).metadata or {}).get(b"comment"), name
    ctx.register_parquet(name, f)
    n = ctx.sql(f"select count(*) as n from {name}").to_pydict()["n"][0]
    assert n == t.num_rows, (name, n, t.num_rows)
    rows += n
print(rows)
"#;
    let text = run_python("python3", script, &[&research.join("marts")]);
    assert!(text.trim().parse::<u64>().unwrap() > 1000, "{text}");
}

/// Spark reads the research tier (the lake and the marts, no DuckDB source
/// needed) and recomputes two indicators, the NCRB conviction rate and the
/// claims filed, for the consortium by financial year and for all time,
/// equal to every figure the warehouse published. Spark runs from a Python
/// environment of its own (`.ci/run` makes it at
/// `$HOME/.cache/tafteesh-spark` and names its python in
/// `TAFTEESH_SPARK_PYTHON`); without one the test skips and says so.
#[test]
fn spark_reads_the_research_tier_and_recomputes_two_indicators() {
    let Some(python) = std::env::var_os("TAFTEESH_SPARK_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TAFTEESH_SPARK_PYTHON (see .ci/run)"
        );
        eprintln!("SKIPPED: set TAFTEESH_SPARK_PYTHON to a python with pyspark (and a JRE on the PATH)");
        return;
    };
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "600", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let script = r#"
import sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("tafteesh-test")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
research = sys.argv[1]
for name in ("fct_cases_by_scope", "fct_claims_by_scope", "indicator_values_published"):
    spark.read.parquet(f"{research}/marts/{name}.parquet").createOrReplaceTempView(name)
spark.read.parquet(f"{research}/lake/cases").createOrReplaceTempView("lake_cases")
fy = lambda col: f"concat('FY ', year(add_months({col}, -3)), '-', lpad(cast((year(add_months({col}, -3)) + 1) % 100 as string), 2, '0'))"
ours = spark.sql(f"""
  with trials as (select case when outcome = 'convicted' then 1 else 0 end as hit, judgment_date as d
                  from fct_cases_by_scope where dimension = 'consortium' and is_trial_completed),
       claims as (select application_date as d from fct_claims_by_scope where dimension = 'consortium')
  select 'conviction_rate' as indicator_id, 'All time' as period, sum(hit) as numerator, count(*) as denominator from trials
  union all
  select 'conviction_rate', {fy('d')}, sum(hit), count(*) from trials where d is not null group by 2
  union all
  select 'claims_filed', 'All time', count(*), cast(null as bigint) from claims
  union all
  select 'claims_filed', {fy('d')}, count(*), cast(null as bigint) from claims where d is not null group by 2
""")
ours.createOrReplaceTempView("ours")
theirs = spark.sql("""select indicator_id, period, numerator, denominator from indicator_values_published
  where dimension = 'consortium' and indicator_id in ('conviction_rate', 'claims_filed')
    and not suppressed and period not like '%Q%'""")
theirs.createOrReplaceTempView("theirs")
bad = spark.sql("""select * from theirs t left join ours o using (indicator_id, period)
  where t.numerator is distinct from o.numerator or t.denominator is distinct from o.denominator""").collect()
n = theirs.count()
print(n, len(bad), spark.table("lake_cases").count())
for r in bad[:10]: print(r)
"#;
    let text = run_python(python, script, &[&w.path().join("d/output/current/research")]);
    let last = text.lines().last().unwrap_or_default();
    let f: Vec<usize> = last.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(f.len() == 3 && f[0] >= 10 && f[2] > 0, "{text}");
    assert_eq!(f[1], 0, "figures Spark recomputes differently:\n{text}");
}

/// Whether a column name is of a kind that may single out a record or a
/// person: a keyed token, a partner's reference (pseudonymised), a record
/// id built from one, the FIR number, the date of birth, a village, the
/// record's row or hash.
fn identifying(column: &str) -> bool {
    ["_token", "_ref", "_record_id"].iter().any(|s| column.ends_with(s))
        || ["fir_number", "date_of_birth", "source_row", "record_hash"].contains(&column)
        || column.contains("village")
}

/// The research tier is minimal: no column of it (the warehouse's tables
/// and views, each mart, each file of the research lake) is of an
/// identifying kind, and no value in it is one of the snapshot's own
/// lake's pseudonyms or tokens under another name. The snapshot's own
/// lake, which holds them, is the job's user's alone.
///
/// What this shares with the code: the column names of the kinds to look
/// for (a detector by name, beside the run's allow-list by kind, which it
/// does not read); the values are compared as they are, whatever the
/// columns are called.
#[test]
fn the_research_tier_holds_no_identifying_column_or_value() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let current = w.path().join("d/output/current");
    let research = current.join("research");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&current.join("lake")),
        0o700,
        "the snapshot's own lake is the job's user's"
    );
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let names = |sql: &str| -> Vec<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    conn.execute_batch(&format!(
        "attach '{}' as wh (read_only)",
        research.join("warehouse/tafteesh.duckdb").display()
    ))
    .unwrap();
    // Every relation of the research tier, as (name, SQL to read it).
    let mut relations: Vec<(String, String)> =
        names("select distinct table_name from duckdb_columns() where database_name = 'wh' and schema_name = 'main'")
            .into_iter()
            .map(|t| (format!("warehouse:{t}"), format!("wh.main.\"{t}\"")))
            .collect();
    let files = crate::util::walk(&research);
    for (f, _) in files
        .iter()
        .filter(|(f, _)| f.extension().is_some_and(|x| x == "parquet"))
    {
        let name = f.strip_prefix(&research).unwrap().display().to_string();
        relations.push((name, format!("read_parquet('{}')", f.display())));
    }
    assert!(relations.len() > 60, "{relations:?}");
    let mut found = Vec::new();
    let mut text_columns = Vec::new();
    for (name, from) in &relations {
        conn.execute_batch(&format!("create or replace temp view r as select * from {from}"))
            .unwrap();
        for (c, ty) in names("select column_name || chr(31) || column_type from (describe r)")
            .iter()
            .map(|s| s.split_once('\u{1f}').unwrap())
        {
            if identifying(c) {
                found.push(format!("{name}.{c}"));
            }
            if ty == "VARCHAR" {
                text_columns.push((from.clone(), c.to_string()));
            }
        }
    }
    assert!(found.is_empty(), "identifying columns in the research tier: {found:?}");
    // The pseudonyms and tokens the snapshot's own lake holds: none may
    // be in the research tier, under any name.
    let lake = current.join("lake");
    let mut secret_columns = Vec::new();
    for table in [
        "survivors",
        "cases",
        "compensation_claims",
        "link_survivors",
        "link_cases",
        "link_claims",
    ] {
        let from = format!("read_parquet('{}/{table}/*.parquet')", lake.display());
        conn.execute_batch(&format!("create or replace temp view r as select * from {from}"))
            .unwrap();
        for c in names("select column_name from (describe r)") {
            if c.ends_with("_token") || c.ends_with("_ref") || c == "fir_number" {
                secret_columns.push(format!("select \"{c}\" as v from {from}"));
            }
        }
    }
    assert!(secret_columns.len() >= 10, "{secret_columns:?}");
    conn.execute_batch(&format!(
        "create temp table secrets as select distinct v from ({}) where v is not null",
        secret_columns.join(" union all ")
    ))
    .unwrap();
    let leaked: Vec<String> = text_columns
        .iter()
        .filter_map(|(from, c)| {
            let n: i64 = conn
                .query_row(
                    &format!("select count(*) from (select distinct \"{c}\" as v from {from}) join secrets using (v)"),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            (n > 0).then(|| format!("{from} {c}: {n}"))
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "the lake's pseudonyms in the research tier: {leaked:?}"
    );
}
