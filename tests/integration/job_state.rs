//! The job's own state, attacked: a ledger grown huge or holding bytes that
//! are not text, a current snapshot with a part deleted, a history file
//! overwritten, a clock set back, another key in the key file, a signal in
//! the middle of a night. Each is a night the job must get through (or
//! refuse clearly), and the night after must publish the right figures.

use std::io::Write;
use std::path::Path;

use crate::fixtures::fixture_setup;
use crate::util::{Workdir, current_id, spawn_with_env};

fn ledger_lines(w: &Workdir) -> Vec<serde_json::Value> {
    std::fs::read(w.path().join("output/ledger.jsonl"))
        .unwrap()
        .split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect()
}

fn last_line(w: &Workdir) -> serde_json::Value {
    ledger_lines(w).pop().expect("a ledger line")
}

fn warehouse(w: &Workdir) -> duckdb::Connection {
    let path = w.path().join("output/current/research/warehouse/tafteesh.duckdb");
    duckdb::Connection::open_with_flags(
        &path,
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap()
}

/// Every figure of the current snapshot (its run id aside), one JSON
/// text per row, sorted.
fn figures(w: &Workdir) -> Vec<String> {
    let conn = warehouse(w);
    let mut stmt = conn
        .prepare("select to_json(t)::varchar as j from (select * exclude (run_id) from indicator_values) t order by j")
        .unwrap();
    let out: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(!out.is_empty());
    out
}

fn notes(line: &serde_json::Value) -> String {
    line["notes"].to_string()
}

#[test]
fn a_ledger_line_stays_bounded_and_a_huge_or_unreadable_old_line_never_stops_a_night() {
    let w = Workdir::new();
    fixture_setup(&w);
    // 3,000 small files no pipeline claims: the ledger line names 20 and counts them all.
    let bulk = w.path().join("inbox/bulk_uploads");
    std::fs::create_dir_all(&bulk).unwrap();
    for i in 0..3_000 {
        std::fs::write(bulk.join(format!("f{i:05}.txt")), b"x").unwrap();
    }
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let first = current_id(&w.path().join("output"));
    let ledger = w.path().join("output/ledger.jsonl");
    let text = std::fs::read_to_string(&ledger).unwrap();
    let line = text.lines().last().unwrap();
    assert!(
        line.len() < 40_000,
        "the line grew with the inbox: {} bytes",
        line.len()
    );
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["inputs"].as_array().unwrap().len(), 20);
    assert!(
        entry["inputs_total"].as_u64().unwrap() > 3_000,
        "{}",
        entry["inputs_total"]
    );

    // A line from before the bound, naming 150,000 files (a 30 MB line,
    // past DuckDB's JSON object limit), then a line that is not UTF-8.
    let mut huge = entry.clone();
    let one = entry["inputs"][0].clone();
    huge["run_id"] = "20260101T000000000Z".into();
    huge["status"] = "failed".into();
    huge["inputs"] = serde_json::Value::Array(vec![one; 150_000]);
    huge.as_object_mut().unwrap().remove("inputs_total");
    let mut f = std::fs::OpenOptions::new().append(true).open(&ledger).unwrap();
    f.write_all(&serde_json::to_vec(&huge).unwrap()).unwrap();
    f.write_all(b"\n{\"run_id\":\"\xff\xfe not text\"}\n").unwrap();
    drop(f);
    assert!(std::fs::metadata(&ledger).unwrap().len() > 16 << 20);

    let ran = w.run(&["run", "--config", "config", "--force"]);
    assert_eq!(ran.code, 4, "a night after the huge line: {}", ran.all());
    assert!(
        ran.stderr.contains("not UTF-8"),
        "the unreadable line is named: {}",
        ran.stderr
    );
    let conn = warehouse(&w);
    let (named, total): (i64, i64) = conn
        .query_row(
            "select len(inputs), inputs_total from run_ledger where run_id = '20260101T000000000Z'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((named, total), (20, 150_000));
    drop(conn);
    let status = w.run(&["status", "--config", "config"]);
    assert_eq!(status.code, 0, "{}", status.all());
    let back = w.run(&["rollback", "--config", "config", &first]);
    assert_eq!(back.code, 0, "{}", back.all());
}

#[test]
fn a_current_snapshot_whose_warehouse_was_deleted_is_rebuilt_not_kept() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let before = figures(&w);
    let broken = current_id(&w.path().join("output"));
    let db = w.path().join("output/current/research/warehouse/tafteesh.duckdb");
    let dir = db.parent().unwrap().to_path_buf();
    make_writable(&dir);
    std::fs::remove_file(&db).unwrap();

    let status = w.run(&["status", "--config", "config"]);
    assert!(
        status.stdout.contains("BROKEN"),
        "status must say so: {}",
        status.stdout
    );
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(!ran.stdout.contains("nothing changed"), "{}", ran.stdout);
    assert_ne!(
        current_id(&w.path().join("output")),
        broken,
        "a new snapshot replaces the broken one"
    );
    let line = last_line(&w);
    assert_eq!(line["status"], "published");
    assert!(notes(&line).contains("incomplete"), "the ledger says why: {line}");
    assert_eq!(figures(&w), before, "the rebuilt snapshot has the same figures");
    // And the night after is a no-op again.
    assert!(w.run(&["run", "--config", "config"]).stdout.contains("nothing changed"));
}

#[test]
fn a_corrupt_history_file_after_a_rollback_is_set_aside_and_the_nights_go_on() {
    let w = Workdir::new();
    fixture_setup(&w);
    let output = w.path().join("output");
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let first = current_id(&output);
    assert_eq!(w.run(&["run", "--config", "config", "--force"]).code, 4);
    let second = current_id(&output);
    let history = output.join("history/indicator_values");
    let file = history.join(format!("{second}.parquet"));
    make_writable(&history);
    std::fs::write(&file, b"PAR1 overwritten by a bad copy").unwrap();
    assert_eq!(w.run(&["rollback", "--config", "config", &first]).code, 0);

    for night in 0..2 {
        let ran = w.run(&["run", "--config", "config", "--force"]);
        assert_eq!(ran.code, 4, "night {night}: {}", ran.all());
        if night == 0 {
            // The log names what is lost and how to restore it.
            assert!(
                ran.stderr.contains("moved aside") && ran.stderr.contains("indicator_history WHERE run_id"),
                "{}",
                ran.stderr
            );
        }
    }
    assert!(output.join(format!("history/unreadable/{second}.parquet")).is_file());
    assert!(!file.exists());
    let conn = warehouse(&w);
    let runs: Vec<String> = conn
        .prepare("select run_id from indicator_history_runs order by seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(runs[0], first);
    assert!(!runs.contains(&second));
}

#[test]
fn a_clock_set_back_holds_the_run_back_and_trust_clock_judges_dates_by_the_newest_export() {
    let w = Workdir::new();
    fixture_setup(&w);
    let output = w.path().join("output");
    let back = [("TAFTEESH_TEST_CLOCK", "2020-06-01T00:00:00Z")];
    // No snapshot yet: the exports, written today, show the clock is wrong.
    let ran = w.run_with_env(&["run", "--config", "config"], &back);
    assert_eq!(ran.code, 8, "{}", ran.all());
    assert!(
        ran.stderr.contains("newest export") && ran.stderr.contains("--trust-clock"),
        "{}",
        ran.stderr
    );
    assert!(!output.join("current").exists());

    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let good = current_id(&output);
    let before = figures(&w);
    let ran = w.run_with_env(&["run", "--config", "config", "--force"], &back);
    assert_eq!(ran.code, 8, "{}", ran.all());
    assert!(ran.stderr.contains("earlier than the last snapshot"), "{}", ran.stderr);
    assert_eq!(current_id(&output), good, "nothing published");
    let line = last_line(&w);
    assert_eq!(
        (line["status"].as_str(), line["exit_code"].as_u64()),
        (Some("held_back"), Some(8))
    );

    let ran = w.run_with_env(&["run", "--config", "config", "--force", "--trust-clock"], &back);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let trusted = current_id(&output);
    assert!(trusted > good, "snapshot ids keep their order: {trusted} after {good}");
    assert_eq!(
        figures(&w),
        before,
        "dates judged against the newest export: the same figures"
    );
    assert!(
        notes(&last_line(&w)).contains("the clock read 2020-06-01"),
        "{}",
        last_line(&w)
    );
}

#[test]
fn another_valid_key_in_the_key_file_is_refused_until_new_key() {
    let w = Workdir::new();
    fixture_setup(&w);
    let output = w.path().join("output");
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let good = current_id(&output);
    let before = figures(&w);
    let key = w.path().join("key/pseudonym.key");
    std::fs::remove_file(&key).unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);

    let ran = w.run(&["run", "--config", "config", "--force"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(
        ran.stderr.contains("not the one the current snapshot") && ran.stderr.contains("--new-key"),
        "{}",
        ran.stderr
    );
    assert_eq!(current_id(&output), good);
    let ran = w.run(&["run", "--config", "config", "--new-key"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(notes(&last_line(&w)).contains("re-keyed"), "{}", last_line(&w));
    assert_eq!(figures(&w), before, "a new key changes no figure");
    // The new key is now the snapshot's own: the next night is a no-op.
    let next = w.run(&["run", "--config", "config"]);
    assert_eq!(next.code, 4, "{}", next.all());
    assert!(next.stdout.contains("nothing changed"), "{}", next.stdout);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_a_run_at_the_next_safe_point_with_a_ledger_line_and_the_alert() {
    let w = Workdir::new();
    fixture_setup(&w);
    let output = w.path().join("output");
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let good = current_id(&output);
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let alert = w.path().join(format!("alert-{name}.txt"));
        let cmd = format!("echo \"$TAFTEESH_EXIT_CODE $TAFTEESH_ERROR\" > {}", alert.display());
        let child = spawn_with_env(
            &w,
            &["run", "--config", "config", "--force", "--on-failure", &cmd],
            &[("TAFTEESH_TEST_PAUSE_AT", "lake"), ("TAFTEESH_TEST_PAUSE_MS", "60000")],
        );
        // Wait until the run is building, then signal it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while building(&output).is_empty() {
            assert!(std::time::Instant::now() < deadline, "the run never started building");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let started = std::time::Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed().as_secs() < 30, "{name}: the run did not stop soon");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(9), "{name}: {err}");
        assert!(err.contains(&format!("stopped by {name}")), "{err}");
        assert!(
            building(&output).is_empty(),
            "{name}: left behind {:?}",
            building(&output)
        );
        assert_eq!(current_id(&output), good);
        let line = last_line(&w);
        assert_eq!(
            (line["status"].as_str(), line["exit_code"].as_u64()),
            (Some("stopped"), Some(9))
        );
        let said = std::fs::read_to_string(&alert).unwrap();
        assert!(said.starts_with("9 stopped by"), "{said}");
    }
    // The night after publishes as usual.
    assert_eq!(w.run(&["run", "--config", "config", "--force"]).code, 4);
}

fn building(output: &Path) -> Vec<String> {
    ["snapshots", "restricted"]
        .iter()
        .flat_map(|d| std::fs::read_dir(output.join(d)).into_iter().flatten())
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".building-"))
        .collect()
}

/// The run's `NOT USED` line for the fixture partner's file `name` (named
/// by its alias).
fn not_used(w: &Workdir, ran: &crate::util::Ran, name: &str) -> String {
    let alias = crate::util::alias_of(w, "config", &format!("fixture_ngo/{name}"));
    ran.stdout
        .lines()
        .find(|l| l.contains("NOT USED") && l.contains(&alias))
        .unwrap_or_else(|| panic!("{name} is not reported:\n{}", ran.stdout))
        .to_string()
}

/// Let the test change a sealed folder, as an operator with a shell could.
fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_district_cell_longer_than_a_workbook_cell_quarantines_its_row_not_the_night() {
    let w = Workdir::new();
    fixture_setup(&w);
    let long = "Purulia ".repeat(5_000);
    std::fs::write(
        w.path()
            .join("inbox/fixture_ngo/district_cell_longer_than_a_workbook_cell.csv"),
        format!(
            "ID,Name,Phone,Sex,District,Rescue Date\nF-900,Longa Cell Test,9876500900,F,{long},01/02/2022\n\
             F-901,Short Cell Test,9876500901,F,Purulia,02/02/2022\n"
        ),
    )
    .unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(
        w.path()
            .join("output/current/reports/tafteesh-indicators.xlsx")
            .is_file()
    );
    let alias = crate::util::alias_of(
        &w,
        "config",
        "fixture_ngo/district_cell_longer_than_a_workbook_cell.csv",
    );
    let q = w
        .path()
        .join(format!("output/restricted/latest/quarantine/{alias}.quarantine.csv"));
    let text = std::fs::read_to_string(&q).unwrap_or_else(|e| panic!("{}: {e}", q.display()));
    assert!(text.contains("cell.too_long") && text.contains("district"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("cell.too_long")).count(),
        1,
        "{text}"
    );
    // The short row was kept, the long one not.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let kept = |r: &str| -> i64 {
        let id = crate::util::reference(&w, "key/pseudonym.key", "fixture_ngo", r);
        conn.query_row(
            "select count(*) from raw_survivors where survivor_ref = ?",
            [&id],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!((kept("F-900"), kept("F-901")), (0, 1));
}

/// An OpenDocument spreadsheet of one sheet, `Register`, holding `rows`
/// (the XML of its `table:table-row` elements).
fn ods(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    to.start_file("mimetype", stored).unwrap();
    to.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    to.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    write!(
        to,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Register">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    to.finish().unwrap().into_inner()
}

fn ods_cells(cells: &[&str]) -> String {
    cells
        .iter()
        .map(|c| format!(r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#))
        .collect()
}

#[test]
fn an_ods_renamed_xlsx_of_repeated_cells_is_refused_before_it_is_expanded_and_a_good_one_is_read() {
    let w = Workdir::new();
    fixture_setup(&w);
    let header = ods_cells(&["ID", "Name", "Phone", "Sex", "District", "Rescue Date"]);
    let inbox = w.path().join("inbox/fixture_ngo");
    // A few hundred bytes that calamine expanded to gigabytes: a full-width
    // header and one filled row repeated thousands of times.
    let wide = r#"<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>h</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
    let bomb = ods(wide);
    assert!(bomb.len() < 1_500, "{}", bomb.len());
    std::fs::write(inbox.join("ods_renamed_xlsx_of_repeated_cells.xlsx"), &bomb).unwrap();
    // The same under the register's own header: each row is far wider than it.
    let narrow = format!(
        r#"<table:table-row>{header}</table:table-row><table:table-row table:number-rows-repeated="500"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#
    );
    std::fs::write(inbox.join("ods_rows_far_wider_than_the_header.xlsx"), ods(&narrow)).unwrap();
    // A good ODS export, named .xlsx as partners send them.
    let good = format!(
        "<table:table-row>{header}</table:table-row><table:table-row>{}</table:table-row><table:table-row table:number-rows-repeated=\"1048000\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>",
        ods_cells(&["F-770", "Odette Sheet Test", "9876500770", "F", "Nadia", "2022-03-01"])
    );
    std::fs::write(inbox.join("ods_export_renamed_xlsx.xlsx"), ods(&good)).unwrap();

    let started = std::time::Instant::now();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = |name: &str| not_used(&w, &ran, name);
    assert!(
        line("ods_renamed_xlsx_of_repeated_cells.xlsx").contains("max_sheet_cells"),
        "{}",
        ran.stdout
    );
    assert!(
        line("ods_rows_far_wider_than_the_header.xlsx").contains("right of the last headed column"),
        "{}",
        ran.stdout
    );
    assert!(started.elapsed().as_secs() < 120);
    let conn = duckdb::Connection::open_in_memory().unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let id = crate::util::reference(&w, "key/pseudonym.key", "fixture_ngo", "F-770");
    let n: i64 = conn
        .query_row(
            "select count(*) from raw_survivors where survivor_ref = ?",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "the good ODS is read");
}

#[test]
fn a_file_larger_than_the_configured_limit_is_refused_unread() {
    let w = Workdir::new();
    fixture_setup(&w);
    let toml = w.path().join("config/tafteesh.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n[limits]\nmax_file_mib = 1\n")).unwrap();
    let big = w.path().join("inbox/fixture_ngo/register_over_the_size_limit.csv");
    let mut body = String::from("ID,Name,Phone,Sex,District,Rescue Date\n");
    while body.len() <= 1 << 20 {
        body.push_str("F-999,Large File Test,9876500999,F,Malda,01/01/2022\n");
    }
    std::fs::write(&big, body).unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = not_used(&w, &ran, "register_over_the_size_limit.csv");
    assert!(line.contains("max_file_mib"), "{line}");
}

#[test]
fn an_xls_of_cells_at_opposite_corners_of_ten_sheets_is_refused_before_calamine_reads_it() {
    let w = Workdir::new();
    fixture_setup(&w);
    // Written by xlwt: 10 KB that calamine would lay out as 167 million cells.
    let bomb = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/readers/fixtures/cells_at_opposite_corners_of_ten_sheets.xls");
    std::fs::copy(
        bomb,
        w.path().join("inbox/fixture_ngo/xls_of_cells_at_opposite_corners.xlsx"),
    )
    .unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = not_used(&w, &ran, "xls_of_cells_at_opposite_corners.xlsx");
    assert!(line.contains("167772160 cells"), "{line}");
}
