//! The leak test of issue #39: canaries (a survivor's name, a word of it,
//! a phone, a village, a Bengali name) planted wherever a partner can type
//! or name something, and searched for in everything a night publishes or
//! says, through the real binary.
//!
//! Planted: in every mappable column of every canonical table (the test
//! reads the schemas, so a column added later is covered); in file names
//! (a claimed register, a claimed docket whose rows hold no name column, a
//! claimed workbook the run cannot read, an unclaimed scan, a folder named
//! after a village, a link, a top-level folder no partner owns, a name that
//! is not UTF-8); in sheet names (a claimed workbook's second sheet, and
//! one whose only sheet is not the configured one); in headers (unmapped
//! columns). Searched: every published file (lake, warehouse tables and
//! views, reports, workbook, manifest, run summary, history, ledger), every
//! published path, stdout and stderr of each run at the default log level,
//! `tafteesh status`, and the `--on-failure` alert text.
//!
//! What this test shares with the code: the schemas' column lists (read
//! from the library, so every column is planted) and the fixture pipeline
//! it writes. The canaries are written the way the issue says partners
//! write them, not the way the pipeline reads them; nothing here asks the
//! code whether a value is personal.

use crate::util::{Ran, Workdir, published_texts, query_text, walk};

const NAME: &str = "Zorawar Qanarybibi";
const WORD: &str = "Qanarybibi";
const PHONE: &str = "9123456780";
const VILLAGE: &str = "Qanarypur";
const BENGALI: &str = "কানারিবিবি";

/// Every canary, as the search looks for it (the name's other word, and
/// the phone as a register spaces it, too).
const SEARCHED: [&str; 7] = [NAME, WORD, "Zorawar", PHONE, "91234 56780", VILLAGE, BENGALI];

/// The ways a canary is written into a cell.
fn cell_canaries() -> Vec<String> {
    vec![
        NAME.to_string(),
        format!("+91 {} {}", &PHONE[..5], &PHONE[5..]),
        VILLAGE.to_string(),
        WORD.to_string(),
        BENGALI.to_string(),
        format!("{NAME}, {VILLAGE}"),
        PHONE.to_string(),
    ]
}

/// A wide register's header for a canonical column.
fn header(table: &str, column: &str) -> String {
    format!("{table} {column}")
}

/// The canonical tables' mappable columns, as the schemas declare them.
fn mappable() -> Vec<(String, Vec<String>)> {
    let model = tafteesh::config::Model::load().unwrap();
    model
        .schemas
        .iter()
        .map(|s| {
            let cols = s
                .columns
                .iter()
                .filter(|c| c.is_mappable())
                .map(|c| c.name.clone())
                .collect();
            (s.table.clone(), cols)
        })
        .collect()
}

fn pipeline() -> String {
    let mut out = String::from(
        "partner_id = \"canary_ngo\"\nname = \"Canary NGO (test partner)\"\ndate_order = \"dmy\"\n\n\
         [[sources]]\nname = \"register\"\nfiles = \"canary_ngo/*register.csv\"\nformat = \"csv\"\n",
    );
    for (table, cols) in mappable() {
        out.push_str(&format!("\n[sources.tables.{table}.columns]\n"));
        for c in cols {
            out.push_str(&format!("{c} = \"{}\"\n", header(&table, &c)));
        }
    }
    // A lawyers' docket: case columns only, no name anywhere in its rows.
    out.push_str(
        "\n[[sources]]\nname = \"docket\"\nfiles = \"canary_ngo/*docket.csv\"\nformat = \"csv\"\n\n\
         [sources.tables.cases.columns]\ncase_ref = \"Case No\"\nfir_number = \"FIR\"\npolice_station = \"PS\"\nfir_date = \"FIR Date\"\n",
    );
    // Workbooks read from a sheet named Register.
    out.push_str(
        "\n[[sources]]\nname = \"workbook\"\nfiles = \"canary_ngo/*.xlsx\"\nformat = \"xlsx\"\nsheet = \"Register\"\n\n\
         [sources.tables.survivors.columns]\nsurvivor_ref = \"ID\"\nfull_name = \"Name\"\nphone = \"Phone\"\nhome_block = \"Block\"\n",
    );
    out
}

/// The wide register: every mapped column, then two unmapped headers that
/// hold canaries; a canary in every cell of each canary row, and clean rows.
fn register() -> String {
    let mut headers: Vec<String> = Vec::new();
    for (table, cols) in mappable() {
        headers.extend(cols.iter().map(|c| header(&table, c)));
    }
    let mapped = headers.len();
    headers.push(NAME.to_string());
    headers.push(PHONE.to_string());
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut lines = vec![headers.iter().map(|h| quote(h)).collect::<Vec<_>>().join(",")];
    for canary in cell_canaries() {
        let row: Vec<String> = (0..headers.len()).map(|_| quote(&canary)).collect();
        lines.push(row.join(","));
    }
    // Clean rows, so every table has records besides the canaries'.
    for i in 1..=6 {
        let mut row = vec![String::new(); mapped + 2];
        let mut at = 0;
        for (table, cols) in mappable() {
            for c in &cols {
                row[at] = match (table.as_str(), c.as_str()) {
                    (_, "survivor_ref") => format!("CN-{i}"),
                    (_, "case_ref") => format!("CASE-{i}"),
                    (_, "claim_ref") => format!("VC-{i}"),
                    ("survivors", "sex") => "F".into(),
                    ("survivors", "home_district") => "South 24 Parganas".into(),
                    ("survivors", "home_block") => "Canning-I".into(),
                    ("survivors", "rescue_date") => format!("0{i}/03/2022"),
                    ("cases", "fir_number") => format!("{i}0/2022"),
                    ("cases", "fir_date") => format!("0{i}/02/2022"),
                    ("cases", "police_station") => "Canning P.S.".into(),
                    ("cases", "sections") => "370 IPC".into(),
                    ("compensation_claims", "scheme") => "WBVCS 2017".into(),
                    ("compensation_claims", "application_date") => format!("0{i}/06/2022"),
                    _ => String::new(),
                };
                at += 1;
            }
        }
        lines.push(row.iter().map(|v| quote(v)).collect::<Vec<_>>().join(","));
    }
    lines.join("\n") + "\n"
}

fn workbook(sheets: &[(&str, bool)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, with_rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (c, h) in ["ID", "Name", "Phone", "Block"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        if *with_rows {
            for (r, v) in [NAME, PHONE, VILLAGE].iter().enumerate() {
                for c in 0..4u16 {
                    ws.write_string(r as u32 + 1, c, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The inbox: the canary partner's files and entries, named as the issue
/// describes them.
fn setup() -> Workdir {
    let w = Workdir::new();
    let root = w.path();
    std::fs::create_dir_all(root.join("config/pipelines")).unwrap();
    std::fs::write(root.join("config/pipelines/canary_ngo.toml"), pipeline()).unwrap();
    std::fs::write(
        root.join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    let ngo = root.join("inbox/canary_ngo");
    std::fs::create_dir_all(&ngo).unwrap();
    // Claimed and read: the register is named after a survivor and her phone.
    std::fs::write(ngo.join(format!("{NAME} {PHONE} register.csv")), register()).unwrap();
    // Claimed, read, and no name in its rows: a docket named after a village.
    std::fs::write(
        ngo.join(format!("{VILLAGE} docket.csv")),
        format!("Case No,FIR,PS,FIR Date\nD-1,{PHONE},{NAME},01/01/2023\nD-2,12/2023,{VILLAGE} PS,02/01/2023\n"),
    )
    .unwrap();
    // Claimed workbooks: one with a second sheet named after her; one whose
    // only sheet, named after her, is not the configured one; one the run
    // cannot read at all.
    std::fs::write(
        ngo.join(format!("{WORD} workbook.xlsx")),
        workbook(&[("Register", true), (NAME, true)]),
    )
    .unwrap();
    std::fs::write(ngo.join(format!("{BENGALI}.xlsx")), workbook(&[(NAME, true)])).unwrap();
    std::fs::write(ngo.join(format!("{NAME}.xlsx")), b"PK\x03\x04 not really a workbook").unwrap();
    // Unclaimed: a scan dropped beside the exports, a folder named after her
    // village, a folder no partner owns.
    std::fs::write(ngo.join(format!("{NAME} FIR copy.pdf")), b"%PDF-1.4").unwrap();
    std::fs::create_dir_all(ngo.join(VILLAGE)).unwrap();
    std::fs::write(ngo.join(VILLAGE).join(format!("{WORD}.jpg")), b"\xff\xd8").unwrap();
    std::fs::create_dir_all(root.join("inbox").join(WORD)).unwrap();
    std::fs::write(root.join("inbox").join(WORD).join("notes.txt"), NAME).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // A link named after her, and a name that is not UTF-8.
        std::os::unix::fs::symlink("/etc/hostname", ngo.join(format!("{WORD} link register.csv"))).unwrap();
        let mut bytes = format!("{WORD} ").into_bytes();
        bytes.extend_from_slice(b"\xe9 register.csv");
        std::fs::write(ngo.join(std::ffi::OsStr::from_bytes(&bytes)), register()).unwrap();
    }
    w
}

/// Panic, naming where, if any canary is in `text`.
fn assert_clean(what: &str, text: &str) {
    let low = text.to_lowercase();
    for c in SEARCHED {
        assert!(
            !low.contains(&c.to_lowercase()),
            "canary `{c}` in {what}:\n{}",
            text.chars().take(3000).collect::<String>()
        );
    }
}

fn run(w: &Workdir, extra: &[&str]) -> Ran {
    let mut args = vec![
        "run",
        "--config",
        "config",
        "--on-failure",
        "printf '%s' \"$TAFTEESH_ERROR\" >> alert.txt",
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

fn assert_nothing_published(w: &Workdir, ran: &Ran) {
    let output = w.path().join("output");
    let texts = published_texts(&output);
    assert!(texts.iter().any(|(n, _)| n.ends_with("tafteesh.duckdb")));
    assert!(texts.iter().any(|(n, _)| n == "ledger.jsonl"));
    for (name, text) in &texts {
        assert_clean(&format!("published {name}"), text);
    }
    assert_clean("the run's stdout", &ran.stdout);
    assert_clean("the run's stderr", &ran.stderr);
    let status = w.run(&["status", "--config", "config"]);
    assert_clean("tafteesh status", &status.all());
    let status = w.run(&["status", "--config", "config", "--json"]);
    assert_clean("tafteesh status --json", &status.all());
    let alert = std::fs::read_to_string(w.path().join("alert.txt")).unwrap_or_default();
    assert_clean("the alert text", &alert);
}

#[test]
fn no_canary_planted_in_a_column_a_file_name_a_sheet_or_a_header_is_published() {
    let w = setup();
    let ran = run(&w, &[]);
    // The unreadable workbook, the one without the configured sheet, the
    // link and the name that is not UTF-8 could not be used.
    assert_eq!(ran.code, 4, "{}", ran.all());
    let alert = std::fs::read_to_string(w.path().join("alert.txt")).unwrap();
    assert!(alert.contains("could not be used"), "{alert}");
    assert!(ran.stdout.contains("NOT USED canary_ngo/file-"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("NOT CLAIMED by any pipeline: canary_ngo/file-"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("NOT CLAIMED by any pipeline: inbox/file-"),
        "{}",
        ran.stdout
    );
    assert_nothing_published(&w, &ran);

    // What was published is the known values only: the clean rows' block,
    // police station and scheme by their lists' names; the canary rows'
    // as unknown.
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let (_, blocks) = query_text(
        &conn,
        "select distinct home_block from dim_survivors where partner_id = 'canary_ngo' order by all",
    );
    assert_eq!(blocks, [[Some("Canning I".to_string())], [None]]);
    let (_, stations) = query_text(&conn, "select distinct police_station from fct_cases order by all");
    assert_eq!(stations, [[Some("Canning PS".to_string())], [None]]);
    let (_, schemes) = query_text(
        &conn,
        "select distinct scheme from fct_compensation_claims order by all",
    );
    assert_eq!(
        schemes,
        [
            [Some("West Bengal Victim Compensation Scheme 2017".to_string())],
            [None]
        ]
    );
    // Phone- and name-shaped identifiers are flagged for the data officer.
    let (_, flagged) = query_text(
        &conn,
        "select distinct rule_id from raw_dq_issues where rule_id like 'id.%' order by all",
    );
    assert_eq!(
        flagged,
        [
            [Some("id.name_shaped".to_string())],
            [Some("id.phone_shaped".to_string())]
        ]
    );

    // The data officer finds every real name in the restricted area.
    let names = std::fs::read_to_string(w.path().join("output/restricted/latest/file_names.csv")).unwrap();
    assert!(names.contains(&format!("canary_ngo/{NAME}.xlsx")), "{names}");
    assert!(names.contains(&format!("canary_ngo/{VILLAGE}/{WORD}.jpg")), "{names}");
    let looked_up = w.run(&["files", "--config", "config"]);
    assert!(
        looked_up.stdout.contains(&format!("{NAME} FIR copy.pdf")),
        "{}",
        looked_up.all()
    );

    // A no-op night and a forced one say and publish no more.
    let noop = run(&w, &[]);
    assert_eq!(noop.code, 4, "{}", noop.all());
    assert_nothing_published(&w, &noop);
    let forced = run(&w, &["--force"]);
    assert_eq!(forced.code, 4, "{}", forced.all());
    assert_nothing_published(&w, &forced);
}

#[test]
fn an_alias_is_the_same_every_night_whatever_else_the_inbox_holds() {
    let w = setup();
    assert_eq!(run(&w, &[]).code, 4);
    let path = format!("canary_ngo/{NAME} {PHONE} register.csv");
    let before = crate::util::alias_of(&w, "config", &path);
    // Another export arrives, sorting before it.
    std::fs::write(w.path().join("inbox/canary_ngo/000 register.csv"), register()).unwrap();
    assert_eq!(run(&w, &[]).code, 4);
    assert_eq!(crate::util::alias_of(&w, "config", &path), before);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path().join("output/current/run.json")).unwrap()).unwrap();
    assert!(
        summary["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == before.as_str()),
        "{before} in {summary}"
    );
}

#[test]
fn restricted_csvs_neutralise_formulas_a_spreadsheet_would_run() {
    let w = setup();
    let ngo = w.path().join("inbox/canary_ngo");
    // Formula payloads in a quarantined row (no id) and in a place cell.
    std::fs::write(
        ngo.join("formulas docket.csv"),
        "Case No,FIR,PS,FIR Date\n,=HYPERLINK(\"http://x.example\",\"click\"),-2+3+cmd|' /C calc'!A0,01/01/2023\n\
         F-1,1/2023,@SUM(1+1)*cmd|' /C calc'!A0,02/01/2023\n",
    )
    .unwrap();
    assert_eq!(run(&w, &[]).code, 4);
    let restricted = w.path().join("output/restricted/latest");
    let mut checked = 0;
    for (p, meta) in walk(&restricted) {
        if !meta.is_file() || p.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        for rec in csv::Reader::from_path(&p).unwrap().records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "{}: a cell a spreadsheet would run: {cell}",
                    p.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked} cells checked");
    let unknown = std::fs::read_to_string(restricted.join("quarantine/canary_ngo/unknown_places.csv")).unwrap();
    assert!(unknown.contains("'@SUM(1+1)"), "{unknown}");
}
