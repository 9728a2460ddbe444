//! Partner configs that say what an export means (issue #15): row
//! conditions, defaults for blank cells and declared date formats, on a
//! wide register whose case columns are blank for a survivor with no case.
//!
//! What these tests share with the code: the fixture's headers and the
//! config's keys. The fixture is written the way the issue describes a
//! wide KoboToolbox export (one row per survivor, its id always filled,
//! case columns blank), not from what the cleaner reads.

use std::collections::BTreeMap;

use crate::util::{Workdir, copy_dir, fixture, query_text};

/// An installation with the wide register partner only; `edit` may change its pipeline.
fn setup(edit: impl Fn(String) -> String) -> Workdir {
    setup_partner("wide_ngo", edit)
}

/// An installation with one of the fixture partners of `partner_configs/`.
fn setup_partner(partner: &str, edit: impl Fn(String) -> String) -> Workdir {
    let w = Workdir::new();
    let root = w.path();
    copy_dir(
        &fixture(&format!("partner_configs/inbox/{partner}")),
        &root.join("inbox").join(partner),
    );
    std::fs::create_dir_all(root.join("config/pipelines")).unwrap();
    let pipeline = std::fs::read_to_string(fixture(&format!("partner_configs/pipelines/{partner}.toml"))).unwrap();
    std::fs::write(root.join(format!("config/pipelines/{partner}.toml")), edit(pipeline)).unwrap();
    std::fs::write(
        root.join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    w
}

/// `table`'s rows in the lake, as text, by the given columns.
fn lake(w: &Workdir, table: &str, columns: &str) -> Vec<Vec<Option<String>>> {
    lake_of(w, "wide_ngo", table, columns)
}

/// `partner`'s rows of `table` in the lake, as text, by the given columns,
/// a canonical table's references and other values the lake publishes
/// otherwise as the export wrote them (from the restricted area; see
/// [`crate::util::lake_as_written`]); the other tables as they are.
fn lake_of(w: &Workdir, partner: &str, table: &str, columns: &str) -> Vec<Vec<Option<String>>> {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let from = if ["survivors", "cases", "compensation_claims"].contains(&table) {
        crate::util::lake_as_written(&conn, &w.path().join("output"), table, partner)
    } else {
        let path = w.path().join(format!("output/current/lake/{table}/{partner}.parquet"));
        format!("read_parquet('{}')", path.display())
    };
    let (_, rows) = query_text(&conn, &format!("select {columns} from {from} order by all"));
    rows
}

/// The file's accounting of `table`: (kept, quarantined, no_record).
fn accounting(w: &Workdir, table: &str) -> (i64, i64, i64) {
    accounting_of(w, "wide_ngo", table)
}

/// `partner`'s accounting of `table`: (kept, quarantined, no_record).
fn accounting_of(w: &Workdir, partner: &str, table: &str) -> (i64, i64, i64) {
    let rows = lake_of(w, partner, "load_files", "table_name, kept, quarantined, no_record");
    let r = rows
        .iter()
        .find(|r| r[0].as_deref() == Some(table))
        .unwrap_or_else(|| panic!("no load_files row for {table}: {rows:?}"));
    let n = |i: usize| r[i].as_deref().unwrap().parse::<i64>().unwrap();
    (n(1), n(2), n(3))
}

#[test]
fn a_wide_register_feeds_cases_only_where_its_case_columns_are_filled() {
    let w = setup(|p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    // 10 survivors, 4 of them with a case: the other 6 rows hold no case.
    let (kept, quarantined, no_record) = accounting(&w, "cases");
    assert_eq!((kept + quarantined, no_record), (4, 6));
    assert_eq!(accounting(&w, "survivors").0 + accounting(&w, "survivors").1, 10);

    // The same export without the condition: every row becomes a case, the
    // figure the issue found 3.6 times too high.
    let w2 = setup(|p| p.replace("[sources.tables.cases.when]\nany_filled = [\"FIR No\", \"PS\"]\n", ""));
    let ran = w2.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let (kept, quarantined, no_record) = accounting(&w2, "cases");
    assert_eq!((kept + quarantined, no_record), (10, 0));
}

#[test]
fn a_blank_result_on_a_charge_sheeted_case_is_pending_and_a_declared_date_format_is_read() {
    let w = setup(|p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let outcomes: BTreeMap<String, Option<String>> = lake(&w, "cases", "case_ref, outcome")
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone()))
        .collect();
    assert_eq!(outcomes["W-01"].as_deref(), Some("pending"), "blank, charge-sheeted");
    assert_eq!(outcomes["W-02"].as_deref(), Some("pending"), "blank, charge-sheeted");
    assert_eq!(outcomes["W-03"], None, "blank, no charge-sheet: unknown, not pending");
    assert_eq!(
        outcomes["W-04"].as_deref(),
        Some("acquitted"),
        "written: kept as written"
    );
    let births: BTreeMap<String, Option<String>> = lake(&w, "survivors", "survivor_ref, date_of_birth::varchar")
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone()))
        .collect();
    assert_eq!(births["W-01"].as_deref(), Some("1999-03-14"));
    assert_eq!(births["W-08"].as_deref(), Some("1995-12-31"));
    assert_eq!(births["W-10"], None, "blank stays blank");
    // "Legal aid lawyer? হ্যাঁ" is free representation, its kind unrecorded.
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    let (_, free) = query_text(
        &conn,
        "select legal_representation, has_free_legal_representation, count(*) from dim_survivors group by all order by all",
    );
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        free,
        [
            vec![s("free_unspecified"), s("true"), s("4")],
            vec![s("none"), s("false"), s("4")],
            vec![None, None, s("2")],
        ]
    );
    let issues = lake(&w, "dq_issues", "field, rule_id");
    assert!(
        !issues.iter().any(|r| r[0].as_deref() == Some("date_of_birth")),
        "no birth date is flagged: {issues:?}"
    );
}

#[test]
fn a_condition_on_a_column_the_file_lacks_stops_that_feed_naming_the_column() {
    let w = setup(|p| p.replace("any_filled = [\"FIR No\", \"PS\"]", "any_filled = [\"FIR Number\"]"));
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(
        ran.all().contains(
            "table `cases`: columns its conditions, joins, patterns, routes or choices name not found in the file: FIR Number"
        ),
        "{}",
        ran.all()
    );
    // The survivors of the same file are still read.
    assert_eq!(accounting(&w, "survivors").0 + accounting(&w, "survivors").1, 10);
}

#[test]
fn every_mistake_in_conditions_defaults_and_formats_is_named_before_data_is_read() {
    let w = Workdir::new();
    copy_dir(
        &fixture("partner_configs/bad_pipelines"),
        &w.path().join("config/pipelines"),
    );
    std::fs::write(
        w.path().join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(w.path().join("inbox")).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    for expected in [
        "conditions_gone_wrong.toml",
        "formats.date_of_birth = `%Y%q%d` is not a date format",
        "a format for `survivors.sex`, which is not a date",
        "a default for `survivors.home_district`, which is not mapped to a column of the file",
        "default for `survivors.sex` = `woman` is not a value it can hold",
        "`cases` when.matches.\"Case Type\": not a regular expression",
        "`compensation_claims` when: sets no condition",
        "joined.full_name must name two or more of the partner's columns",
        "patterns[0] (over `Investigated by`): the pattern fills nothing",
        "filled by a pattern `agency_unit` is not a column of `cases`",
        "set.investigating_agency = `state_police`, which is not one of",
        "`cases.case_ref` is given by columns and routes at once; give it one way",
        "decimal_separator = `;`; use \".\" or \",\"",
        "kobo_gone_wrong.toml",
        "choices.trafficking_form: give `column` (the chosen options in one cell) or `options`",
        "choices.trafficking_form: `Trafficking` is not one of",
        "`survivors.trafficking_form` is given by columns and choices at once",
        "parent: give the parent's `sheet` in the same workbook",
        "reject[0]: sets no condition",
        "date_format = `%d.%q` is not a date format",
    ] {
        assert!(
            ran.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            ran.stderr
        );
    }
}

#[test]
fn one_agency_column_splits_into_agency_and_unit_and_one_transfer_date_goes_where_it_names() {
    let w = setup_partner("lawyers_register", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let cases: BTreeMap<String, Vec<Option<String>>> = lake_of(
        &w,
        "lawyers_register",
        "cases",
        "case_ref, investigating_agency, ahtu_unit, ahtu_transfer_date::varchar, cid_transfer_date::varchar",
    )
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1..].to_vec()))
    .collect();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(cases["L-1"], [s("local_police"), None, None, None], "Local PS");
    assert_eq!(
        cases["L-2"],
        [s("ahtu"), s("Baruipur AHTU"), s("2021-05-12"), None],
        "<Place> AHTU"
    );
    assert_eq!(cases["L-3"], [s("cid"), None, None, s("2021-07-01")], "CID West Bengal");
    assert_eq!(
        cases["L-4"],
        [s("ahtu"), s("Barasat AHTU"), s("2021-08-03"), None],
        "AHTU - <Place>"
    );
    assert_eq!(
        cases["L-5"],
        [None, None, None, None],
        "no agency: the date goes nowhere"
    );
    // Given name and surname joined; a missing surname leaves the given name.
    let plain = w
        .path()
        .join("output/restricted/latest/linkage/lawyers_register/survivors.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let (_, names) = query_text(
        &conn,
        &format!("select full_name from read_parquet('{}') order by all", plain.display()),
    );
    let names: Vec<String> = names.into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(names, ["Hena Sk", "Mina Bibi", "Rina Khatun", "Sima Das", "Tina"]);
}

/// A partner register of `n` people with an identifier column: `name(i)`
/// and `id(i)` give each row's name and identifier as the partner writes them.
fn id_register(w: &Workdir, partner: &str, n: usize, name: impl Fn(usize) -> String, id: impl Fn(usize) -> String) {
    let root = w.path();
    std::fs::create_dir_all(root.join("inbox").join(partner)).unwrap();
    let rows: Vec<String> = (1..=n)
        .map(|i| format!("{partner}-{i},{},F,Nadia,{}", name(i), id(i)))
        .collect();
    std::fs::write(
        root.join(format!("inbox/{partner}/register.csv")),
        format!("Reg No,Name,Sex,District,Voter ID\n{}\n", rows.join("\n")),
    )
    .unwrap();
    std::fs::write(
        root.join(format!("config/pipelines/{partner}.toml")),
        format!(
            "partner_id = \"{partner}\"\nname = \"{partner} (test partner)\"\n\n[[sources]]\nname = \"register\"\n\
             files = \"{partner}/*.csv\"\nformat = \"csv\"\n\n[sources.tables.survivors.columns]\n\
             survivor_ref = \"Reg No\"\nfull_name = \"Name\"\nsex = \"Sex\"\nhome_district = \"District\"\n\
             other_identifier = \"Voter ID\"\n"
        ),
    )
    .unwrap();
}

#[test]
fn an_identifier_that_is_not_a_phone_is_kept_pseudonymised_and_links_people() {
    let w = Workdir::new();
    let root = w.path();
    std::fs::create_dir_all(root.join("config/pipelines")).unwrap();
    std::fs::write(
        root.join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    let given = [
        "Rahima", "Salma", "Fatema", "Ayesha", "Rupa", "Mita", "Puja", "Rina", "Sabina", "Nasima",
    ];
    let surname = [
        "Khatun", "Bibi", "Das", "Mondal", "Sk", "Sardar", "Halder", "Naskar", "Gayen", "Mistry",
    ];
    // One partner writes a 7-digit voter id plainly, the other with a state
    // prefix split by punctuation and lower case, and her name surname
    // first in capitals. No rule but the identifier's makes these pairs
    // (there is no phone, guardian or date), so they meet only if the two
    // spellings of the identifier are read as one.
    id_register(
        &w,
        "id_ngo_a",
        20,
        |i| format!("{} {}", given[i % 10], surname[(i / 10) % 10]),
        |i| format!("WB{}", 1_000_000 + i * 7919),
    );
    id_register(
        &w,
        "id_ngo_b",
        20,
        |i| format!("{} {}", surname[(i / 10) % 10], given[i % 10]).to_uppercase(),
        |i| {
            let d = format!("{}", 1_000_000 + i * 7919);
            format!("wb/{} {}-{}", &d[..2], &d[2..5], &d[5..])
        },
    );
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    // The identifier is kept (not nulled as "not a mobile"), and only as a token.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let lake = root.join("output/current/lake/survivors/id_ngo_a.parquet");
    let (cols, rows) = query_text(&conn, &format!("select * from read_parquet('{}')", lake.display()));
    assert!(cols.contains(&"other_identifier_token".to_string()), "{cols:?}");
    assert!(!cols.contains(&"other_identifier".to_string()), "{cols:?}");
    let flat: String = rows.iter().flatten().flatten().cloned().collect::<Vec<_>>().join("|");
    assert!(!flat.contains("1007919"), "no identifier in plaintext in the lake");
    let i = cols.iter().position(|c| c == "other_identifier_token").unwrap();
    assert!(rows.iter().all(|r| r[i].is_some()), "every identifier kept");
    // The same identifier, written two ways, makes one person of two records.
    let bridge = root.join("output/current/lake/link_survivors/consortium.parquet");
    let (_, people) = query_text(
        &conn,
        &format!(
            "select count(distinct person_key), count(*) from read_parquet('{}')",
            bridge.display()
        ),
    );
    assert_eq!(people[0], [Some("20".to_string()), Some("40".to_string())]);
    assert!(!ran.all().contains("1007919"), "no identifier in a log line");
}

/// A KoboToolbox workbook with a repeat group: one survivor row, several
/// case rows in their own sheet, each reading its survivor's id from the
/// parent row; select_multiple questions read from their summary column
/// (labels holding spaces) and from their 1/0 columns; a submission marked
/// Not Approved quarantined with its cases; a case whose submission is gone
/// quarantined as an orphan; a district in Jharkhand and one in Bangladesh
/// are places.
#[test]
fn a_kobo_repeat_group_workbook_gives_one_survivor_several_cases() {
    let w = setup_partner("kobo_repeat", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let s = |v: &str| Some(v.to_string());
    let survivors = lake_of(
        &w,
        "kobo_repeat",
        "survivors",
        "survivor_ref, trafficking_form, legal_representation, home_district",
    );
    assert_eq!(
        survivors,
        [
            vec![s("KB-101"), s("SexualExploitation"), s("legal_aid"), s("Ranchi")],
            vec![s("KB-102"), s("Servitude"), s("none"), s("Jashore")],
            vec![s("KB-103"), s("ForcedLabour"), None, s("Jalpaiguri")],
            vec![
                s("KB-105"),
                s("SexualExploitation"),
                s("legal_aid"),
                s("East Singhbhum")
            ],
        ],
        "KB-104 is Not Approved"
    );
    let cases = lake_of(
        &w,
        "kobo_repeat",
        "cases",
        "case_ref, survivor_ref, fir_number, sections",
    );
    assert_eq!(
        cases,
        [
            vec![s("KB-101-1"), s("KB-101"), s("112/2025"), s("IPC 370; ITPA 5")],
            vec![s("KB-101-2"), s("KB-101"), s("9/2026"), s("IPC 370")],
            vec![s("KB-102-3"), s("KB-102"), s("77/2025"), s("IPC 370; IPC 372")],
            vec![s("KB-105-5"), s("KB-105"), s("61/2025"), s("IPC 370")],
        ]
    );
    let quarantined = lake_of(&w, "kobo_repeat", "dq_issues", "table_name, source_row, rule_id");
    let rows: Vec<_> = quarantined
        .iter()
        .filter(|r| r[2].as_deref().is_some_and(|id| id.starts_with("row.")))
        .cloned()
        .collect();
    assert_eq!(
        rows,
        [
            vec![s("cases"), s("5"), s("row.rejected")],
            vec![s("cases"), s("7"), s("row.orphan")],
            vec![s("survivors"), s("5"), s("row.rejected")],
        ]
    );
    let issues = lake_of(&w, "kobo_repeat", "dq_issues", "field, rule_id");
    let districts = ["home_district", "district", "state", "destination_state"];
    assert!(
        !issues
            .iter()
            .any(|r| r[1].as_deref() == Some("place.unknown")
                && districts.contains(&r[0].as_deref().unwrap_or_default())),
        "Ranchi, Jessore and Purbi Singhbhum are places: {issues:?}"
    );
    // Of its police stations, Basirhat, Petrapole, Ranchi Sadar and Bongaon
    // are known; "Kotwali" (Ranchi's and Nadia's) and "Jamshedpur PS" (a city,
    // not a station) are published as unknown.
    let stations = lake_of(&w, "kobo_repeat", "dq_issues", "field, rule_id")
        .into_iter()
        .filter(|r| r[0].as_deref() == Some("police_station"))
        .count();
    assert_eq!(stations, 2, "{issues:?}");
}

/// ODK Central's CSV export: the repeat group's file reads its submission's
/// row from the main file beside it, by PARENT_KEY and KEY; a rejected
/// submission's cases are quarantined with it; the source's date format
/// reads its month-first dates.
#[test]
fn an_odk_central_repeat_csv_reads_its_parent_file() {
    let w = setup_partner("odk_repeat", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        lake_of(&w, "odk_repeat", "cases", "survivor_ref, fir_number, fir_date::varchar"),
        [
            vec![s("OD-1"), s("21/2025"), s("2025-12-01")],
            vec![s("OD-1"), s("4/2026"), s("2026-01-09")],
            vec![s("OD-3"), s("8/2026"), s("2026-01-15")],
        ],
        "the source's date_format reads 12.01.25 as 1 December"
    );
    assert_eq!(
        lake_of(&w, "odk_repeat", "survivors", "survivor_ref, home_district"),
        [vec![s("OD-1"), s("Sahibganj")], vec![s("OD-3"), s("Satkhira")]]
    );
}

#[test]
fn an_identifier_is_built_from_a_constant_and_a_padded_serial_as_the_other_register_writes_it() {
    let w = setup_partner("serial_register", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let s = |v: &str| Some(v.to_string());
    // 7 and an Excel-style 123.0 padded to five digits; the row with no
    // serial has no survivor and no case_ref, so it is quarantined.
    assert_eq!(
        lake_of(&w, "serial_register", "cases", "case_ref, survivor_ref"),
        [
            vec![s("BKR-00007/112/2024"), s("BKR-00007")],
            vec![s("BKR-00045/19/2025"), s("BKR-00045")],
            vec![s("BKR-00123/77/2023"), s("BKR-00123")],
        ]
    );
    // Every case names a survivor the register holds, so each joins her.
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    let (_, rows) = query_text(
        &conn,
        "select count(distinct case_key), count(distinct person_key) from bridge_case_people",
    );
    assert_eq!(rows, [vec![s("3"), s("3")]]);
}

#[test]
fn a_template_that_cannot_be_read_is_named_before_data_is_read() {
    let w = setup_partner("serial_register", |p| {
        p.replace("BKR-{Serial:05}\"\n", "BKR-{Serial:05\"\n")
    });
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(ran.all().contains("serial_register.toml"), "{}", ran.all());
    assert!(ran.all().contains("templates.survivor_ref"), "{}", ran.all());
    assert!(ran.all().contains("not closed"), "{}", ran.all());
}

#[test]
fn a_repeat_rows_position_in_its_submission_is_read_into_an_id() {
    // ODK writes a repeat row's position only inside KEY (`cases[2]`):
    // the template counts it from PARENT_KEY.
    let w = setup_partner("odk_repeat", |p| {
        p.replace("case_ref = \"KEY\"\n", "")
            .replace("[sources.tables.cases.columns]", "[sources.tables.cases.templates]\ncase_ref = \"{../survivor-id}-case-{#PARENT_KEY}\"\n\n[sources.tables.cases.columns]")
    });
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        lake_of(&w, "odk_repeat", "cases", "case_ref, fir_number"),
        [
            vec![s("OD-1-case-1"), s("21/2025")],
            vec![s("OD-1-case-2"), s("4/2026")],
            vec![s("OD-3-case-1"), s("8/2026")],
        ]
    );
}

#[test]
fn an_ahtu_is_known_by_its_district_or_police_district_in_any_order_and_an_installation_may_rename_one() {
    let units = |w: &Workdir| -> Vec<Option<String>> {
        lake_of(w, "ahtu_units", "cases", "case_ref, ahtu_unit")
            .into_iter()
            .map(|r| r[1].clone())
            .collect()
    };
    let s = |v: &str| Some(v.to_string());
    let w = setup_partner("ahtu_units", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    assert_eq!(
        units(&w),
        [
            s("Murshidabad AHTU"),
            s("Krishnanagar AHTU"),
            s("Malda AHTU"),
            s("Nadia AHTU"),
            s("Birbhum AHTU"),
            s("Basirhat AHTU"),
            // Beyond West Bengal a unit must be listed: flagged, not guessed.
            None,
        ]
    );
    // The installation names the Nadia unit by its headquarters.
    std::fs::write(
        w.path().join("config/reference.toml"),
        "[[ahtu_unit]]\nname = \"Krishnanagar AHTU\"\nvariants = [\"Nadia AHTU\"]\n",
    )
    .unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    assert_eq!(
        units(&w)[3],
        s("Krishnanagar AHTU"),
        "AHTU Nadia, renamed by the installation"
    );
}

#[test]
fn an_approved_resubmission_whose_rejected_copy_is_quarantined_is_not_a_duplicate() {
    let w = setup_partner("kobo_resubmission", |p| p);
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    let s = |v: &str| Some(v.to_string());
    // KR-2's rejected copy is quarantined; its approved copy is the record.
    assert_eq!(accounting_of(&w, "kobo_resubmission", "survivors"), (4, 1, 0));
    // Only KR-3, submitted twice with neither rejected, is a duplicate.
    let duplicates = lake_of(&w, "kobo_resubmission", "dq_issues", "source_row::varchar, rule_id")
        .into_iter()
        .filter(|r| r[1].as_deref() == Some("key.duplicate"))
        .collect::<Vec<_>>();
    assert_eq!(duplicates, [vec![s("6"), s("key.duplicate")]]);
}
