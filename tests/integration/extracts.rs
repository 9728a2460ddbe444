//! `tafteesh extract`: a study's de-identified extract, checked from the
//! outside. k-anonymity and l-diversity are re-counted here with DuckDB
//! over the written files (not by the code that generalised them), from
//! the quasi-identifiers `extract.json` lists; ids are checked to join to
//! nothing in the warehouse; and a rerun must give the same bytes.
//!
//! What these tests share with the code: the list of quasi-identifiers and
//! sensitive fields is read from `extract.json`, which the code writes; a
//! field the code failed to call a quasi-identifier would not be counted
//! here. The shipped spec is the other side of that check: the test holds
//! the quasi-identifiers it declares to those `extract.json` reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::demo_truth::demo;
use crate::util::{Workdir, query_text, walk};

fn extract_dir(output: &Path, study: &str) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(output.join("extracts").join(study))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(dirs.len(), 1, "one extract per snapshot: {dirs:?}");
    dirs[0].clone()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("extract.json")).unwrap()).unwrap()
}

fn count(conn: &duckdb::Connection, sql: &str) -> i64 {
    let (_, rows) = query_text(conn, sql);
    rows[0][0].as_deref().unwrap_or("0").parse().unwrap()
}

#[test]
fn the_ahtu_extract_is_k_anonymous_and_l_diverse_counted_from_its_files() {
    // The shipped spec's quasi-identifiers, as written in it.
    let declared: HashMap<&str, Vec<&str>> = HashMap::from([
        (
            "survivors",
            vec![
                "age_at_rescue",
                "home_district",
                "rescue_period",
                "sex",
                "trafficking_form",
            ],
        ),
        ("cases", vec!["district", "fir_period"]),
    ]);
    let (dir, conn) = check_extract("ahtu_engagement", &declared);
    let (_, keys) = query_text(
        &conn,
        &format!(
            "select count(*) from read_parquet('{}') e join w.dim_people p on e.study_person_id = p.person_key",
            dir.join("survivors.parquet").display()
        ),
    );
    assert_eq!(keys[0][0].as_deref(), Some("0"));
    // What was printed says what was released and the risk.
    let out = &demo().extracted.stdout;
    assert!(
        out.contains("survivors: ") && out.contains("records released") && out.contains("risk: highest"),
        "{out}"
    );
}

/// The rehabilitation spec: entitlement outcomes (status l-diverse) and
/// review timeliness, k-anonymous, and no block, panchayat or risk flag.
#[test]
fn the_rehabilitation_extract_is_k_anonymous_and_holds_no_place_below_a_district() {
    let declared: HashMap<&str, Vec<&str>> = HashMap::from([
        (
            "entitlements",
            vec!["applied_period", "authority", "district", "entitlement_family"],
        ),
        ("reviews", vec!["review_period"]),
    ]);
    let (dir, conn) = check_extract("rehabilitation", &declared);
    for table in ["entitlements", "reviews"] {
        let (names, _) = query_text(
            &conn,
            &format!(
                "select * from read_parquet('{}') limit 0",
                dir.join(format!("{table}.parquet")).display()
            ),
        );
        for n in &names {
            assert!(
                !n.contains("block") && !n.contains("panchayat") && !n.starts_with("risk_"),
                "{table}.{n} released"
            );
        }
    }
    let out = &demo().extracted_rehabilitation.stdout;
    assert!(out.contains("entitlements: ") && out.contains("reviews: "), "{out}");
}

/// Check a study's extract of the demo from its files: rows, k-anonymity
/// on the quasi-identifiers the spec declares (`declared`), l-diversity,
/// records in and out, the risk reported, no exact date or key, read-only
/// files. Returns its folder and a connection with the warehouse as `w`.
fn check_extract(study: &str, declared: &HashMap<&str, Vec<&str>>) -> (PathBuf, duckdb::Connection) {
    let d = demo();
    let dir = extract_dir(&d.dir().join("output"), study);
    let m = manifest(&dir);
    let k = m["k"].as_i64().unwrap();
    assert_eq!(k, 10);
    assert_eq!(
        m["snapshot"].as_str().unwrap(),
        crate::util::current_id(&d.dir().join("output"))
    );
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let warehouse = d.dir().join("output/current/research/warehouse/tafteesh.duckdb");
    conn.execute_batch(&format!("attach '{}' as w (read_only)", warehouse.display()))
        .unwrap();
    for t in m["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let parquet = dir.join(format!("{name}.parquet"));
        let csv = dir.join(format!("{name}.csv"));
        let from = format!("read_parquet('{}')", parquet.display());
        let mut qi: Vec<&str> = t["quasi_identifiers"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        qi.sort();
        assert_eq!(qi, declared[name], "{name}: the spec's quasi-identifiers");
        let cols = qi.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let rows = count(&conn, &format!("select count(*) from {from}"));
        assert_eq!(rows, t["records_out"].as_i64().unwrap(), "{name}");
        assert_eq!(
            rows,
            count(
                &conn,
                &format!("select count(*) from read_csv('{}', all_varchar = true)", csv.display())
            ),
            "{name}: CSV and Parquet hold the same rows"
        );
        assert!(rows > 1000, "{name}: {rows} rows released");
        // k-anonymity: the smallest class of released rows.
        let smallest = count(
            &conn,
            &format!("select min(n) from (select count(*) as n from {from} group by {cols})"),
        );
        assert!(smallest >= k, "{name}: a class of {smallest} < k = {k}");
        // l-diversity on each sensitive field (a blank is a value).
        let l = t["l"].as_i64().unwrap();
        for s in t["sensitive"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            let least = count(
                &conn,
                &format!(
                    "select min(d) from (select count(distinct coalesce(\"{s}\"::varchar, '(blank)')) as d from {from} group by {cols})"
                ),
            );
            assert!(least >= l, "{name}.{s}: a class with {least} values < l = {l}");
        }
        // Records in = the warehouse's, and every one released or counted.
        let source = match t["unit"].as_str().unwrap() {
            "person" => "w.dim_people",
            "case" => "w.dim_cases",
            "entitlement" => "w.dim_entitlements",
            _ => "w.fct_rehabilitation_reviews",
        };
        let records_in = count(&conn, &format!("select count(*) from {source}"));
        assert_eq!(t["records_in"].as_i64().unwrap(), records_in, "{name}");
        let suppressed = t["suppressed_for_k"].as_i64().unwrap() + t["suppressed_for_l"].as_i64().unwrap();
        assert_eq!(rows + suppressed, records_in, "{name}: released + suppressed = in");
        // The risk reported is the one the classes give.
        let highest = t["risk_after"]["highest"].as_f64().unwrap();
        assert!(
            (highest - 1.0 / smallest as f64).abs() < 1e-9,
            "{name}: highest risk {highest}"
        );
    }
    // No exact date, no warehouse key or token, anywhere in an extract.
    let date = regex::Regex::new(r"\b\d{4}-\d{2}-\d{2}\b").unwrap();
    let token = regex::Regex::new(r"\b[A-Z]-[0-9a-f]{16}\b|[0-9a-f]{32}").unwrap();
    for (p, _) in walk(&dir) {
        if p.extension().is_some_and(|e| e == "csv") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(!date.is_match(&text), "an exact date in {}", p.display());
            assert!(!token.is_match(&text), "a warehouse key or token in {}", p.display());
        }
    }
    // The files are read-only, like a published snapshot's.
    for (p, meta) in walk(&dir) {
        assert!(meta.permissions().readonly(), "{} is writable", p.display());
    }
    (dir, conn)
}

#[test]
fn an_extract_is_reproducible_its_ids_its_own_and_a_bad_spec_is_refused_naming_the_field() {
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "900", "--seed", "5"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let output = w.path().join("d/output");
    let extract = |spec: &str| w.run(&["extract", "--config", "d/config", "--spec", spec]);
    let ran = extract("ahtu_engagement");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let dir = extract_dir(&output, "ahtu_engagement");
    let files = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut f: Vec<(String, Vec<u8>)> = walk(dir)
            .into_iter()
            .map(|(p, _)| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        f.sort();
        f
    };
    let first = files(&dir);
    assert_eq!(
        first.len(),
        6,
        "two tables as Parquet and CSV, a codebook, extract.json"
    );
    // The same snapshot, spec and seed: the same bytes.
    assert_eq!(extract("ahtu_engagement").code, 0);
    assert!(files(&dir) == first, "a rerun changed the extract");
    // Another study with another seed: the same released rows, other ids.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/extracts/ahtu_engagement.toml"))
            .unwrap();
    let other = shipped
        .replace("study = \"ahtu_engagement\"", "study = \"other_study\"")
        .replace("seed = 20181105", "seed = 7");
    std::fs::create_dir_all(w.path().join("d/config/extracts")).unwrap();
    std::fs::write(w.path().join("d/config/extracts/other.toml"), &other).unwrap();
    let ran = extract("extracts/other.toml");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let other_dir = extract_dir(&output, "other_study");
    let rows = |dir: &Path| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(dir.join("survivors.csv")).unwrap();
        r.records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let (a, b) = (rows(&dir), rows(&other_dir));
    assert_eq!(a.len(), b.len());
    let without_id = |rows: &[Vec<String>]| {
        let mut v: Vec<Vec<String>> = rows.iter().map(|r| r[1..].to_vec()).collect();
        v.sort();
        v
    };
    assert_eq!(without_id(&a), without_id(&b), "the same records, generalised alike");
    let same_place = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(
        same_place * 10 < a.len(),
        "ids line up across studies in {same_place} rows"
    );
    // A spec naming a token, a village, or a column that does not exist
    // is refused, naming the spec and each field. A spec whose `is_child_at_rescue` field is replaced by `fields`:
    // refused (exit 6), nothing written; returns what was printed.
    let refused = |fields: &str| -> String {
        let bad = shipped
            .replace("study = \"ahtu_engagement\"", "study = \"bad\"")
            .replace("{ column = \"is_child_at_rescue\" },", fields);
        std::fs::write(w.path().join("d/config/extracts/bad.toml"), &bad).unwrap();
        let ran = extract("extracts/bad.toml");
        assert_eq!(ran.code, 6, "{}", ran.all());
        assert!(!output.join("extracts/bad").exists());
        ran.all()
    };
    let err = refused("{ column = \"full_name_token\" }, { column = \"village\" }, { column = \"favourite_colour\" },");
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("`full_name_token`: refused"), "{err}");
    assert!(err.contains("`village`: refused"), "{err}");
    let err = refused("{ column = \"favourite_colour\" },");
    assert!(err.contains("`favourite_colour`: no such column"), "{err}");
    // A field renamed to the extract's own id column: a spec error, not a failed build.
    let err = refused("{ column = \"is_child_at_rescue\", as = \"study_person_id\" },");
    assert!(
        err.contains("`study_person_id` is the extract's own id column"),
        "{err}"
    );
    // A lattice larger than the spec allows is refused before any data is read.
    let big = shipped
        .replace("study = \"ahtu_engagement\"", "study = \"big\"")
        .replace("k = 10\n", "k = 10\nmax_nodes = 8\n");
    std::fs::write(w.path().join("d/config/extracts/big.toml"), &big).unwrap();
    let ran = extract("extracts/big.toml");
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(
        ran.stderr.contains("generalisation lattice has") && ran.stderr.contains("`max_nodes` (8)"),
        "{}",
        ran.stderr
    );
    assert!(!output.join("extracts/big").exists());
}
