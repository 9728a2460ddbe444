//! Hostile and broken inboxes (issue #13): what an adversarial tester, a
//! careless share or a half-finished upload puts in the inbox must never
//! publish a personal value, hang the run, or stop the night for the
//! partners whose exports are fine.
//!
//! Each test builds a small inbox of two fixture partners with clean
//! exports, adds one hostile thing, runs the real binary, and checks the
//! exit code, the message, that the other partner was published, that row
//! accounting held, and that the canary identifiers appear in no file
//! outside the restricted area and in no log line.
//!
//! What these tests share with the code: the fixture pipelines (the column
//! headers the files use) and the canary values themselves, which are
//! written the way partners write names and phones. The hostile files are
//! written from how the issue describes them, not from what the readers do.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::util::{Ran, Workdir, alias_of, current_id, fixture, published_texts, query_text, spawn, walk};

/// A survivor's name and phone that must never leave the restricted area.
const CANARY_NAME: &str = "Zorawar Qanarybibi";
const CANARY_WORD: &str = "Qanarybibi";
const CANARY_PHONE: &str = "9123456780";

const HEADER: &str = "ID,Name,Phone,Sex,District,Rescue Date";

/// A partner reading registers of the layout [`HEADER`] from `<partner>/*.<ext>`.
fn register_pipeline(partner: &str, format: &str, ext: &str) -> String {
    let sheet = if format == "xlsx" { "sheet = \"Register\"\n" } else { "" };
    format!(
        "partner_id = \"{partner}\"\nname = \"{partner} (test partner)\"\ndate_order = \"dmy\"\n\n\
         [[sources]]\nname = \"register\"\nfiles = \"{partner}/*.{ext}\"\nformat = \"{format}\"\n{sheet}\n\
         [sources.tables.survivors.columns]\nsurvivor_ref = \"ID\"\nfull_name = \"Name\"\nphone = \"Phone\"\n\
         sex = \"Sex\"\nhome_district = \"District\"\nrescue_date = \"Rescue Date\"\n"
    )
}
const DISTRICTS: [&str; 4] = ["Nadia", "Malda", "Purulia", "North 24 Parganas"];

/// A clean register row of the fixture NGO.
fn ngo_row(i: usize) -> String {
    format!(
        "F-{i},Test Person{i} Bibi,98765{i:05},F,{},{:02}/{:02}/2022",
        DISTRICTS[i % 4],
        1 + i % 28,
        1 + i % 12
    )
}

/// Two partners with clean exports: the fixture NGO (40 survivors) and the
/// fixture collective (30 members).
fn setup() -> Workdir {
    let w = Workdir::new();
    let root = w.path();
    std::fs::create_dir_all(root.join("config/pipelines")).unwrap();
    std::fs::write(
        root.join("config/pipelines/fixture_ngo.toml"),
        register_pipeline("fixture_ngo", "csv", "csv"),
    )
    .unwrap();
    std::fs::copy(
        fixture("pipelines/fixture_collective.toml"),
        root.join("config/pipelines/fixture_collective.toml"),
    )
    .unwrap();
    for p in ["fixture_ngo", "fixture_collective"] {
        std::fs::create_dir_all(root.join("inbox").join(p)).unwrap();
    }
    std::fs::write(
        root.join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    write_ngo(&w, "register.csv", &(1..=40).map(ngo_row).collect::<Vec<_>>());
    let members: Vec<String> = (1..=30)
        .map(|i| format!("SC-{i},Member{i} Khatun,{},No,,{:02}/03/2023", 20 + i % 20, 1 + i % 28))
        .collect();
    std::fs::write(
        root.join("inbox/fixture_collective/members.csv"),
        format!("Member ID,Name,Age,Minor,DOB,Rescue Date\n{}\n", members.join("\n")),
    )
    .unwrap();
    w
}

/// Write a CSV of the fixture NGO's layout.
fn write_ngo(w: &Workdir, name: &str, rows: &[String]) -> PathBuf {
    let path = w.path().join("inbox/fixture_ngo").join(name);
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    path
}

fn run(w: &Workdir, extra: &[&str]) -> Ran {
    let mut args = vec!["run", "--config", "config"];
    args.extend_from_slice(extra);
    w.run(&args)
}

/// Run with a time limit: a run that hangs is killed and the test fails.
fn run_within(w: &Workdir, limit: Duration) -> Ran {
    let mut child = spawn(w, &["run", "--config", "config"]);
    let t = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("the run hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Panic if a canary appears in any published file or in the run's output.
fn assert_no_canary(w: &Workdir, ran: &Ran, canaries: &[&str]) {
    // File names themselves are published too: each path is one of the texts.
    for (name, text) in published_texts(&w.path().join("output")) {
        for c in canaries {
            assert!(!text.contains(c), "{c} published in {name}");
        }
    }
    for c in canaries {
        assert!(!ran.all().contains(c), "{c} in the run's output:\n{}", ran.all());
    }
}

/// The published snapshot's summary.
fn summary(w: &Workdir) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(w.path().join("output/current/run.json")).unwrap()).unwrap()
}

/// Every file report holds: read = kept + quarantined + duplicates + no record.
fn assert_rows_accounted(w: &Workdir) {
    for f in summary(w)["files"].as_array().unwrap() {
        for t in f["tables"].as_array().unwrap() {
            let n = |k: &str| t[k].as_u64().unwrap();
            assert_eq!(
                n("rows_read"),
                n("kept") + n("quarantined") + n("duplicates") + n("no_record"),
                "{f}"
            );
        }
    }
}

/// Rows kept per partner in the published snapshot.
fn kept(w: &Workdir, partner: &str) -> u64 {
    summary(w)["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["partner_id"] == partner)
        .flat_map(|f| f["tables"].as_array().unwrap().clone())
        .map(|t| t["kept"].as_u64().unwrap())
        .sum()
}

/// The `NOT USED` line of the fixture NGO's `file`, which names it by its
/// alias (as `tafteesh files` tells the data officer).
fn not_used_line<'a>(w: &Workdir, ran: &'a Ran, file: &str) -> &'a str {
    let alias = alias_of(w, "config", &format!("fixture_ngo/{file}"));
    ran.stdout
        .lines()
        .find(|l| l.contains("NOT USED") && l.contains(&alias))
        .unwrap_or_else(|| panic!("no NOT USED line for {file} ({alias}):\n{}", ran.all()))
}

#[test]
fn a_stray_quote_that_a_later_cell_closes_stops_the_file_and_shifts_nothing() {
    let w = setup();
    // Line 3 opens a quote that the quoted name on line 5 closes: read as
    // the csv crate reads it, the phone would land under "Sex" and the
    // name under "District".
    let rows = vec![
        ngo_row(101),
        format!("F-102,\"{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022"),
        ngo_row(103),
        "F-104,\"Quoted Name\",9876500104,F,Malda,02/01/2022".to_string(),
        ngo_row(105),
    ];
    write_ngo(&w, "stray_quote.csv", &rows);
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = not_used_line(&w, &ran, "stray_quote.csv");
    assert!(line.contains("line 3") && line.contains("quote"), "{line}");
    assert_eq!(kept(&w, "fixture_collective"), 30, "the other partner is published");
    assert_eq!(kept(&w, "fixture_ngo"), 40, "the NGO's good export is published");
    assert_rows_accounted(&w);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
}

#[test]
fn a_quote_that_never_closes_stops_its_file_only() {
    let w = setup();
    let rows = vec![
        ngo_row(101),
        format!("F-102,\"{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022"),
    ];
    write_ngo(&w, "unclosed_quote.csv", &rows);
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = not_used_line(&w, &ran, "unclosed_quote.csv");
    assert!(line.contains("never closes") && line.contains("line 3"), "{line}");
    assert_eq!(kept(&w, "fixture_collective"), 30);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE]);
}

#[test]
fn a_row_with_more_or_fewer_cells_than_the_header_is_quarantined_by_line() {
    let w = setup();
    let rows = vec![
        ngo_row(101),
        // A comma typed into the name: every later cell shifts right.
        format!("F-102,Zorawar, Qanarybibi,{CANARY_PHONE},F,Nadia,01/01/2022"),
        // A row cut short by hand.
        format!("F-103,{CANARY_NAME},{CANARY_PHONE}"),
        ngo_row(104),
    ];
    write_ngo(&w, "shifted_rows.csv", &rows);
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert!(
        ran.stderr.contains("2 row(s) do not have one cell per header column") && ran.stderr.contains("line 3, 4"),
        "{}",
        ran.stderr
    );
    let alias = alias_of(&w, "config", "fixture_ngo/shifted_rows.csv");
    let q = w
        .path()
        .join(format!("output/restricted/latest/quarantine/{alias}.quarantine.csv"));
    let quarantined = std::fs::read_to_string(q).unwrap();
    assert!(quarantined.contains("row.ragged"), "{quarantined}");
    assert_eq!(
        quarantined.lines().count(),
        3,
        "a header and the two rows: {quarantined}"
    );
    assert_rows_accounted(&w);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
}

#[test]
fn a_name_typed_into_a_place_cell_is_never_a_published_label() {
    let w = setup();
    let mut rows: Vec<String> = (101..=110).map(ngo_row).collect();
    rows.push(format!("F-111,Someone Else,9876500111,F,{CANARY_NAME},01/01/2022"));
    rows.push(format!("F-112,Someone Other,9876500112,F,{CANARY_PHONE},01/01/2022"));
    write_ngo(&w, "typed_in_place.csv", &rows);
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
    // Published by shape; the spelling is the data officer's, restricted.
    let conn = duckdb::Connection::open(w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let (_, shapes) = query_text(&conn, "select shape, records from fct_dq_unknown_places order by shape");
    assert_eq!(
        shapes,
        [["9999999999", "1"], ["Aaaaaaa Aaaaaaaaaa", "1"]].map(|r| r.map(|c| Some(c.to_string())))
    );
    let restricted = std::fs::read_to_string(
        w.path()
            .join("output/restricted/latest/quarantine/fixture_ngo/unknown_places.csv"),
    )
    .unwrap();
    assert!(restricted.contains(CANARY_NAME) && restricted.contains(CANARY_PHONE));
}

#[test]
fn an_export_saved_without_its_header_row_puts_no_value_in_the_log() {
    let w = setup();
    // The first record is taken for the header: its repeated values would
    // have been named in a "header appears 2 times" note.
    let rows = [ngo_row(102), ngo_row(103)];
    std::fs::write(
        w.path().join("inbox/fixture_ngo/no_header.csv"),
        format!(
            "F-101,{CANARY_NAME},{CANARY_NAME},{CANARY_PHONE},{CANARY_PHONE},Nadia\n{}\n",
            rows.join("\n")
        ),
    )
    .unwrap();
    // A 2 MB one-line export: 200,000 cells in its "header", one record
    // longer than any real one.
    let wide = vec![CANARY_PHONE; 200_000].join(",");
    std::fs::write(w.path().join("inbox/fixture_ngo/one_line.csv"), format!("{wide}\n")).unwrap();
    let t = Instant::now();
    let ran = run(&w, &[]);
    assert!(t.elapsed() < Duration::from_secs(60), "took {:?}", t.elapsed());
    assert_eq!(ran.code, 4, "{}", ran.all());
    let line = not_used_line(&w, &ran, "one_line.csv");
    assert!(line.contains("row 1 is 2200000 bytes long"), "{line}");
    not_used_line(&w, &ran, "no_header.csv");
    assert!(ran.stderr.contains("column 3 repeats column 2"), "{}", ran.stderr);
    assert!(
        ran.stderr.lines().count() < 200,
        "{} log lines",
        ran.stderr.lines().count()
    );
    let run_json = std::fs::metadata(w.path().join("output/current/run.json"))
        .unwrap()
        .len();
    assert!(run_json < 200_000, "run.json is {run_json} bytes");
    assert_eq!(kept(&w, "fixture_collective"), 30);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE]);
}

#[cfg(unix)]
#[test]
fn special_files_links_and_odd_names_are_each_not_used_and_never_followed() {
    use std::os::unix::ffi::OsStrExt;
    let w = setup();
    let ngo = w.path().join("inbox/fixture_ngo");
    let fifo = std::ffi::CString::new(ngo.join("pipe.csv").to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/etc/passwd", ngo.join("passwd.csv")).unwrap();
    std::os::unix::fs::symlink(ngo.join("nowhere.csv"), ngo.join("dangling.csv")).unwrap();
    std::os::unix::fs::symlink(ngo.join("loop_b.csv"), ngo.join("loop_a.csv")).unwrap();
    std::os::unix::fs::symlink(ngo.join("loop_a.csv"), ngo.join("loop_b.csv")).unwrap();
    // A folder elsewhere, linked in: its rows must not be published.
    let elsewhere = w.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("outside.csv"),
        format!("{HEADER}\nF-900,{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, ngo.join("linked_folder")).unwrap();
    std::fs::write(
        ngo.join(std::ffi::OsStr::from_bytes(b"reg\xe9ster.csv")),
        format!("{HEADER}\n{}\n", ngo_row(300)),
    )
    .unwrap();
    // `*` does not cross `/`: an old export in a sub-folder is not claimed.
    std::fs::create_dir_all(ngo.join("old")).unwrap();
    write_ngo(
        &w,
        "old/previous.csv",
        &[format!("F-901,{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022")],
    );

    let ran = run_within(&w, Duration::from_secs(120));
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(not_used_line(&w, &ran, "pipe.csv").contains("FIFO"));
    for f in [
        "passwd.csv",
        "dangling.csv",
        "loop_a.csv",
        "loop_b.csv",
        "linked_folder",
    ] {
        assert!(not_used_line(&w, &ran, f).contains("symbolic link"), "{f}");
    }
    assert!(not_used_line(&w, &ran, "reg\u{fffd}ster.csv").contains("UTF-8"));
    let previous = alias_of(&w, "config", "fixture_ngo/old/previous.csv");
    assert!(
        ran.stdout.contains(&format!("NOT CLAIMED by any pipeline: {previous}")),
        "{}",
        ran.stdout
    );
    assert_eq!(kept(&w, "fixture_ngo"), 40);
    assert_eq!(kept(&w, "fixture_collective"), 30);
    assert_rows_accounted(&w);
    // Nothing of /etc/passwd was staged into the restricted area.
    for (p, _) in walk(&w.path().join("output/restricted")) {
        assert!(!p.to_string_lossy().contains("passwd"), "{}", p.display());
    }
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE]);
}

#[cfg(unix)]
#[test]
fn a_file_the_run_cannot_read_is_not_used_and_the_night_goes_on() {
    // Root reads every file whatever its mode: nothing to test as root.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: running as root, which can read a mode-000 file");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let w = setup();
    let path = write_ngo(&w, "locked.csv", &[ngo_row(200)]);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(not_used_line(&w, &ran, "locked.csv").contains("cannot be read"));
    assert_eq!(kept(&w, "fixture_collective"), 30);
}

#[test]
fn mac_line_ends_are_read_and_a_huge_sheet_dimension_is_bounded() {
    let w = setup();
    // Excel's "CSV (Macintosh)": lone CR line ends.
    let rows: Vec<String> = (101..=105).map(ngo_row).collect();
    std::fs::write(
        w.path().join("inbox/fixture_ngo/mac_line_ends.csv"),
        format!("{HEADER}\r{}\r", rows.join("\r")),
    )
    .unwrap();
    // One value in the last cell of the sheet, XFD1048576.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Register").unwrap();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in (201..=203).map(ngo_row).enumerate() {
        for (c, v) in row.split(',').enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    ws.write_string(1_048_575, 16_383, CANARY_PHONE).unwrap();
    std::fs::write(
        w.path().join("config/pipelines/fixture_sheets.toml"),
        register_pipeline("fixture_sheets", "xlsx", "xlsx"),
    )
    .unwrap();
    std::fs::create_dir_all(w.path().join("inbox/fixture_sheets")).unwrap();
    wb.save(w.path().join("inbox/fixture_sheets/far_corner.xlsx")).unwrap();

    let ran = run_within(&w, Duration::from_secs(120));
    assert_eq!(ran.code, 3, "{}", ran.all());
    let files = summary(&w)["files"].as_array().unwrap().clone();
    let mac_alias = alias_of(&w, "config", "fixture_ngo/mac_line_ends.csv");
    let mac = files.iter().find(|f| f["file"] == mac_alias.as_str()).unwrap();
    assert_eq!(mac["tables"][0]["kept"], 5, "{mac}");
    let xlsx_alias = alias_of(&w, "config", "fixture_sheets/far_corner.xlsx");
    let xlsx = files.iter().find(|f| f["file"] == xlsx_alias.as_str()).unwrap();
    assert_eq!(xlsx["tables"][0]["kept"], 3, "{xlsx}");
    assert_eq!(
        xlsx["tables"][0]["quarantined"], 1,
        "the far cell's row is ragged: {xlsx}"
    );
    assert_rows_accounted(&w);
    assert_no_canary(&w, &ran, &[CANARY_PHONE]);
}

#[test]
fn a_run_that_would_publish_much_less_holds_the_snapshot_back() {
    let w = setup();
    assert_eq!(run(&w, &[]).code, 0, "the clean exports give no warning");
    let current = std::fs::read_link(w.path().join("output/current")).unwrap();

    // A share that did not mount: an empty inbox.
    let inbox = w.path().join("inbox");
    std::fs::rename(&inbox, w.path().join("inbox.away")).unwrap();
    std::fs::create_dir_all(&inbox).unwrap();
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 7, "{}", ran.all());
    assert!(ran.stderr.contains("no rows at all"), "{}", ran.stderr);
    assert_eq!(std::fs::read_link(w.path().join("output/current")).unwrap(), current);
    let ledger = std::fs::read_to_string(w.path().join("output/ledger.jsonl")).unwrap();
    assert!(ledger.lines().last().unwrap().contains("\"held_back\""), "{ledger}");
    std::fs::remove_dir_all(&inbox).unwrap();
    std::fs::rename(w.path().join("inbox.away"), &inbox).unwrap();

    // One partner's export loses 30 of its 40 rows.
    write_ngo(&w, "register.csv", &(1..=10).map(ngo_row).collect::<Vec<_>>());
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 7, "{}", ran.all());
    assert!(
        ran.stderr.contains("`survivors` rows fell from 40 to 10"),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read_link(w.path().join("output/current")).unwrap(), current);

    // The newest upload stopped at 40%, in the middle of a row.
    let full: Vec<String> = (1..=40).map(ngo_row).collect();
    let cut = format!("{HEADER}\n{}\n{}", full[..16].join("\n"), &full[16][..20]);
    std::fs::write(w.path().join("inbox/fixture_ngo/register.csv"), &cut).unwrap();
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 7, "{}", ran.all());
    assert!(ran.stderr.contains("cut short"), "{}", ran.stderr);
    assert_eq!(std::fs::read_link(w.path().join("output/current")).unwrap(), current);

    // The operator says it is right: published.
    let ran = run(&w, &["--accept-shrink"]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert_ne!(std::fs::read_link(w.path().join("output/current")).unwrap(), current);
    assert_rows_accounted(&w);
}

#[test]
fn an_inbox_and_an_output_that_overlap_are_refused_as_config_errors() {
    let w = setup();
    for (inbox, output) in [
        ("../output/in", "../output"),
        ("../inbox", "../inbox/out"),
        ("../x", "../x"),
    ] {
        std::fs::write(
            w.path().join("config/tafteesh.toml"),
            format!("inbox = \"{inbox}\"\noutput = \"{output}\"\nkey_file = \"../key/pseudonym.key\"\n"),
        )
        .unwrap();
        let ran = run(&w, &[]);
        assert_eq!(ran.code, 6, "{inbox} / {output}: {}", ran.all());
        assert!(ran.stderr.contains("tafteesh.toml"), "{}", ran.stderr);
    }
}

#[test]
fn impossible_dates_are_nulled_and_flagged_not_published_as_years() {
    let w = setup();
    let mut rows: Vec<String> = (101..=110).map(ngo_row).collect();
    rows.push("F-111,Sentinel Date,9876500111,F,Nadia,31/12/9999".into());
    rows.push("F-112,Serial Date,9876500112,F,Nadia,99999".into());
    rows.push("F-113,Old Date,9876500113,F,Nadia,01/01/1850".into());
    write_ngo(&w, "impossible_dates.csv", &rows);
    let ran = run(&w, &[]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    let conn = duckdb::Connection::open(w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let (_, flagged) = query_text(
        &conn,
        &format!(
            "select count(*) from raw_dq_issues where rule_id = 'date.out_of_range' and source_file = '{}'",
            alias_of(&w, "config", "fixture_ngo/impossible_dates.csv")
        ),
    );
    assert_eq!(flagged[0][0].as_deref(), Some("3"));
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let (_, dates) = query_text(
        &conn,
        &format!(
            "select count(*) from raw_survivors where rescue_date < date '1900-01-01' or rescue_date > date '{tomorrow}'"
        ),
    );
    assert_eq!(dates[0][0].as_deref(), Some("0"));
    let csv = std::fs::read_to_string(w.path().join("output/current/reports/indicators.csv")).unwrap();
    let html = std::fs::read_to_string(w.path().join("output/current/reports/index.html")).unwrap();
    for year in ["FY 9999", "FY 2173", "FY 1849"] {
        assert!(!csv.contains(year) && !html.contains(year), "{year} published");
    }
}

#[test]
fn a_file_name_with_a_newline_and_terminal_escapes_forges_no_line() {
    let w = setup();
    let name = "evil\nNOT USED forged.csv (fixture_ngo): fake error\u{1b}[2J.csv";
    std::fs::write(
        w.path().join("inbox/fixture_ngo").join(name),
        format!("{HEADER}\n{}\n", ngo_row(500)),
    )
    .unwrap();
    let ran = run(&w, &["--log-level", "debug"]);
    assert!(matches!(ran.code, 0 | 3), "{}", ran.all());
    assert!(!ran.all().contains('\u{1b}'), "an escape reached the output");
    for line in ran.all().lines() {
        assert!(!line.starts_with("NOT USED forged"), "forged line: {line}");
        assert!(!line.trim_start().starts_with("NOT USED forged"), "forged line: {line}");
    }
}

#[test]
fn a_file_named_after_a_survivor_is_published_under_its_alias() {
    let w = setup();
    let name = format!("{CANARY_NAME} register.csv");
    let rows = vec![
        format!("F-700,{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022"),
        ngo_row(701),
    ];
    write_ngo(&w, &name, &rows);
    let ran = run(&w, &["--log-level", "trace"]);
    assert!(matches!(ran.code, 0 | 3), "{}", ran.all());
    let files: Vec<String> = summary(&w)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    let alias = alias_of(&w, "config", &format!("fixture_ngo/{name}"));
    assert!(
        alias.starts_with("fixture_ngo/file-") && alias.ends_with(".csv"),
        "{alias}"
    );
    assert!(files.contains(&alias), "{files:?}");
    // So is every other file, whatever it holds.
    assert!(
        files.iter().all(|f| f.contains("/file-")),
        "every file is published by its alias: {files:?}"
    );
    assert_eq!(kept(&w, "fixture_ngo"), 42);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
    let map = std::fs::read_to_string(w.path().join("output/restricted/latest/file_names.csv")).unwrap();
    assert!(
        map.contains(&format!("{alias},fixture_ngo,claimed,fixture_ngo/{name}")),
        "{map}"
    );
    // A no-op night and a forced rebuild publish it under the same alias.
    assert!(matches!(run(&w, &[]).code, 0 | 3));
    let ran = run(&w, &["--force"]);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
    assert_eq!(alias_of(&w, "config", &format!("fixture_ngo/{name}")), alias);
}

#[cfg(unix)]
#[test]
fn a_published_run_still_accounts_every_row_of_every_hostile_file() {
    // All of the above at once, as a night with a careless inbox would be.
    let w = setup();
    write_ngo(
        &w,
        "stray_quote.csv",
        &[
            ngo_row(101),
            format!("F-102,\"{CANARY_NAME},{CANARY_PHONE},F,Nadia,01/01/2022"),
            "F-104,\"Quoted\",9876500104,F,Malda,02/01/2022".into(),
        ],
    );
    write_ngo(
        &w,
        "shifted.csv",
        &[format!("F-110,A, B,{CANARY_PHONE},F,Nadia,01/01/2022"), ngo_row(111)],
    );
    std::fs::write(
        w.path().join("inbox/fixture_ngo/mac.csv"),
        format!("{HEADER}\r{}\r", ngo_row(120)),
    )
    .unwrap();
    std::fs::write(w.path().join("inbox/fixture_ngo/empty.csv"), "").unwrap();
    let ran = run_within(&w, Duration::from_secs(120));
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert_rows_accounted(&w);
    assert_eq!(kept(&w, "fixture_collective"), 30);
    assert_no_canary(&w, &ran, &[CANARY_NAME, CANARY_PHONE, CANARY_WORD]);
}

/// A run killed at every fault point. Slow: `cargo test --release -- --skip ::slow::` leaves these out (see README).
mod slow {
    use super::*;

    #[test]
    fn the_ledger_and_the_restricted_area_are_right_after_any_kill() {
        use std::os::unix::fs::PermissionsExt;
        let w = setup();
        assert_eq!(run(&w, &[]).code, 0);
        let output = w.path().join("output");
        let ledger = || -> Vec<serde_json::Value> {
            std::fs::read_to_string(output.join("ledger.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };

        // Killed right after `current` switched: it did publish.
        write_ngo(&w, "more.csv", &[ngo_row(600)]);
        let killed = w.run_with_env(
            &["run", "--config", "config"],
            &[("TAFTEESH_FAIL_AFTER", "current-switched")],
        );
        assert_ne!(killed.code, 0);
        let current = current_id(&output);
        assert!(
            ledger().iter().all(|e| e["run_id"] != current.as_str()),
            "not yet recorded"
        );
        let next = run(&w, &[]);
        assert_eq!(next.code, 0, "{}", next.all());
        let lines = ledger();
        let of_killed: Vec<&serde_json::Value> = lines.iter().filter(|e| e["run_id"] == current.as_str()).collect();
        assert_eq!(of_killed.len(), 1, "{lines:?}");
        assert_eq!(of_killed[0]["status"], "published");
        assert_eq!(
            std::fs::read_to_string(output.join("restricted/latest/run_id")).unwrap(),
            current,
            "its restricted area was swapped in"
        );

        // Killed after renaming its snapshot into place, before switching:
        // that snapshot was never published; the next run removes it.
        write_ngo(&w, "more2.csv", &[ngo_row(601)]);
        let killed = w.run_with_env(
            &["run", "--config", "config"],
            &[("TAFTEESH_FAIL_AFTER", "snapshot-renamed")],
        );
        assert_ne!(killed.code, 0);
        let orphan = std::fs::read_dir(output.join("snapshots"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|id| !id.starts_with('.') && *id != current)
            .max()
            .unwrap();
        let refused = w.run(&["rollback", "--config", "config", &orphan]);
        assert_ne!(refused.code, 0);
        assert!(refused.all().contains("never published"), "{}", refused.all());
        let next = run(&w, &[]);
        assert_eq!(next.code, 0, "{}", next.all());
        assert!(
            !output.join("snapshots").join(&orphan).exists(),
            "the orphan is removed"
        );

        // Plaintext a kill left mid-swap is removed by the next run, even a no-op.
        std::fs::create_dir_all(output.join("restricted/.old/staged")).unwrap();
        std::fs::write(output.join("restricted/.old/staged/x.csv"), CANARY_NAME).unwrap();
        let noop = run(&w, &[]);
        assert!(noop.stdout.contains("nothing changed"), "{}", noop.all());
        assert!(!output.join("restricted/.old").exists());

        // A snapshot half deleted (its warehouse gone) is not made current.
        let older = current_id(&output);
        write_ngo(&w, "more3.csv", &[ngo_row(602)]);
        assert_eq!(run(&w, &[]).code, 0);
        std::fs::remove_file(
            output
                .join("snapshots")
                .join(&older)
                .join("research/warehouse/tafteesh.duckdb"),
        )
        .unwrap();
        let refused = w.run(&["rollback", "--config", "config", &older]);
        assert_ne!(refused.code, 0);
        assert!(refused.all().contains("incomplete"), "{}", refused.all());

        // Every file in the restricted area is owner-only.
        for (p, meta) in walk(&output.join("restricted")) {
            let mode = meta.permissions().mode() & 0o777;
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode, want, "{}", p.display());
        }
    }
}
