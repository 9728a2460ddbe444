//! `tafteesh onboard` on exports no config describes (issue #15): the
//! profile finds how to read the file and prints shapes and counts, never a
//! name or a phone; the draft it writes validates, and a run on it gives
//! the figures a hand-written config gives.
//!
//! What these tests share with the code: the header words each schema
//! column lists in `headers` (a fixture header missing from them would be
//! left unmapped, which the tests would catch). The fixtures are written as
//! the issue describes real exports (a title row, `;`, US dates, a BOM; a
//! wide register), not from what onboarding reads.

use crate::util::{Ran, Workdir, copy_dir, fixture, query_text};

fn project(w: &Workdir) {
    std::fs::create_dir_all(w.path().join("config/pipelines")).unwrap();
    std::fs::write(
        w.path().join("config/tafteesh.toml"),
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    )
    .unwrap();
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
}

/// `tafteesh onboard FILE --partner PARTNER --out config/pipelines`.
fn onboard(w: &Workdir, file: &std::path::Path, partner: &str) -> Ran {
    w.run(&[
        "onboard",
        file.to_str().unwrap(),
        "--partner",
        partner,
        "--out",
        "config/pipelines",
    ])
}

/// `partner`'s rows of `table` in the lake: (kept, quarantined, no_record) per file.
fn accounting(w: &Workdir, table: &str) -> (i64, i64, i64) {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let path = w.path().join("output/current/lake/load_files/*.parquet");
    let (_, rows) = query_text(
        &conn,
        &format!(
            "select sum(kept), sum(quarantined), sum(no_record) from read_parquet('{}') where table_name = '{table}'",
            path.display()
        ),
    );
    let n = |i: usize| rows[0][i].as_deref().unwrap().parse::<i64>().unwrap();
    (n(0), n(1), n(2))
}

#[test]
fn a_register_with_title_rows_semicolons_and_us_dates_is_profiled_without_a_name_and_drafted() {
    let w = Workdir::new();
    project(&w);
    let file = fixture("onboard/title_rows_semicolons_us_dates.csv");
    let ran = onboard(&w, &file, "collective_test");
    assert_eq!(ran.code, 0, "{}", ran.all());
    for expected in [
        "delimiter `;`",
        "header on row 3",
        "40 data rows",
        "`9999999999` x40",
        "draft written",
    ] {
        assert!(
            ran.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            ran.stdout
        );
    }
    // Shapes and counts only: no name, guardian, phone or village.
    let text = std::fs::read_to_string(&file).unwrap();
    for line in text.lines().skip(3) {
        let cells: Vec<&str> = line.split(';').collect();
        for secret in &cells[1..5] {
            assert!(!ran.all().contains(secret), "`{secret}` printed:\n{}", ran.all());
        }
    }
    let draft = std::fs::read_to_string(w.path().join("config/pipelines/collective_test.toml")).unwrap();
    for expected in [
        "date_order = \"mdy\"",
        "delimiter = \";\"",
        "header_row = 3",
        "survivor_ref = \"Member ID\"",
        "guardian_name = \"Father/Husband name\"",
        "phone = \"Mobile No\"",
        "home_district = \"District\"",
        "rescue_date = \"Date of rescue\"",
        "# DECIDE: what these codes of \"Legal aid lawyer?\" mean",
    ] {
        assert!(draft.contains(expected), "missing `{expected}` in:\n{draft}");
    }
    // The draft is a valid config, and a run on it reads every row, its
    // out-of-state districts and its US dates.
    copy_dir(&fixture("onboard"), &w.path().join("inbox/collective_test"));
    let valid = w.run(&["validate", "--config", "config"]);
    assert_eq!(valid.code, 0, "{}", valid.all());
    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    assert_eq!(accounting(&w, "survivors"), (40, 0, 0));
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let (_, rows) = query_text(
        &conn,
        &format!(
            "select count(*) filter (where home_district is null), count(*) filter (where rescue_date is null)
             from read_parquet('{}')",
            w.path()
                .join("output/current/lake/survivors/collective_test.parquet")
                .display()
        ),
    );
    assert_eq!(
        rows[0],
        [Some("0".to_string()), Some("0".to_string())],
        "every district and date read"
    );
}

#[test]
fn a_wide_register_is_drafted_with_its_row_condition_and_gives_the_true_case_count() {
    let w = Workdir::new();
    project(&w);
    copy_dir(
        &fixture("partner_configs/inbox/wide_ngo"),
        &w.path().join("inbox/wide_draft"),
    );
    let file = std::fs::read_dir(w.path().join("inbox/wide_draft"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let ran = onboard(&w, &file, "wide_draft");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let draft = std::fs::read_to_string(w.path().join("config/pipelines/wide_draft.toml")).unwrap();
    assert!(draft.contains("[sources.tables.cases.when]"), "{draft}");
    assert!(draft.contains("date_of_birth = \"%Y%m%d\""), "{draft}");
    assert!(
        !draft.contains("[sources.tables.compensation_claims"),
        "nothing in the file is a claim's own: {draft}"
    );
    // A second onboarding of the same partner does not overwrite the draft.
    let again = onboard(&w, &file, "wide_draft");
    assert_eq!(again.code, 2, "{}", again.all());
    assert!(again.stderr.contains("give --force"), "{}", again.stderr);

    let ran = w.run(&["run", "--config", "config"]);
    assert!([0, 3].contains(&ran.code), "{}", ran.all());
    // 10 survivors, 4 with a case: as the hand-written config gives.
    let (kept, quarantined, no_record) = accounting(&w, "cases");
    assert_eq!((kept + quarantined, no_record), (4, 6));
}

/// An export saved without its header row: its first row is a record, so
/// onboarding refuses it without printing a cell of it.
#[test]
fn an_export_without_its_header_row_is_refused_and_nothing_of_it_is_printed() {
    let w = Workdir::new();
    let file = w.path().join("no_header.csv");
    std::fs::write(
        &file,
        "S-1,Testperson Ek Bibi,Testfather Ek,9876500001,Testgram,Nadia\n\
         S-2,Testperson Dui Bibi,Testfather Dui,9876500002,Testgram,Malda\n",
    )
    .unwrap();
    let ran = onboard(&w, &file, "no_header");
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(ran.stderr.contains("saved without its header row"), "{}", ran.stderr);
    for secret in ["Testperson", "Testfather", "9876500001", "Testgram"] {
        assert!(!ran.all().contains(secret), "`{secret}` printed:\n{}", ran.all());
    }
    assert!(!w.path().join("config/pipelines/no_header.toml").exists());
}

/// A Gender column that holds names (the export's columns shifted by one):
/// onboarding maps it to `sex`, and shows and drafts its codes only by
/// their shapes; the known words (`F`, `Yes`) as written. Neither the file's
/// name nor its names reach the draft (the partner id is its folder's).
#[test]
fn a_coded_column_that_holds_names_prints_none_of_them() {
    let w = Workdir::new();
    let dir = w.path().join("inbox/shifted_ngo");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("Qanarybibi Zorawar register.csv");
    let mut rows = vec!["ID,Name,Gender,Legal aid lawyer?".to_string()];
    for i in 0..12 {
        let (name, gender) = match i % 3 {
            0 => ("F", "Qanarybibi Zorawar"),
            1 => ("F", "Kanarimoni Testbibi"),
            _ => ("Other Person", "F"),
        };
        rows.push(format!("S-{i},{name},{gender},Yes"));
    }
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let ran = w.run(&["onboard", file.to_str().unwrap(), "--out", "config/pipelines"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let draft = std::fs::read_to_string(w.path().join("config/pipelines/shifted_ngo.toml")).unwrap();
    for secret in ["Qanarybibi", "Zorawar", "Kanarimoni", "Testbibi"] {
        assert!(!ran.all().contains(secret), "`{secret}` printed:\n{}", ran.all());
        assert!(!draft.contains(secret), "`{secret}` in the draft:\n{draft}");
    }
    assert!(draft.contains("partner_id = \"shifted_ngo\""), "{draft}");
    assert!(draft.contains("sex = \"Gender\""), "{draft}");
    assert!(draft.contains("shaped `Aaaaaaaaaa Aaaaaaa`, 4 rows"), "{draft}");
    assert!(ran.stdout.contains("\"F\" x4"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("(unknown code shaped `Aaaaaaaaaa Aaaaaaa`) x4"),
        "{}",
        ran.stdout
    );
    assert!(
        draft.contains("# \"Yes\" = \"\"  # 12 rows"),
        "a yes/no word is known: {draft}"
    );
}

/// An entitlement tracker (no survivor columns beside her id): every
/// column drafted into `entitlements` (its Block the office's, not a
/// survivor's home), and the run reads its free-text statuses by the word
/// they open with. What this shares with the code: the headers are the
/// schema's vocabulary, written as a register would; the panchayats are
/// not listed, so they are `unknown`.
#[test]
fn an_entitlement_tracker_is_drafted_into_entitlements_and_its_notes_read_as_statuses() {
    let w = Workdir::new();
    project(&w);
    let file = fixture("registers/entitlement_tracker_free_text_status_office_block.csv");
    std::fs::create_dir_all(w.path().join("inbox/ggbk")).unwrap();
    let target = w.path().join("inbox/ggbk/tracker.csv");
    std::fs::copy(&file, &target).unwrap();
    let ran = onboard(&w, &target, "ggbk");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let draft = std::fs::read_to_string(w.path().join("config/pipelines/ggbk.toml")).unwrap();
    for line in [
        "[sources.tables.entitlements.columns]",
        "entitlement_ref = \"S. No\"",
        "survivor_ref = \"Beneficiary ID\"",
        "entitlement = \"Scheme Name\"",
        "block = \"Block\"",
        "status = \"Current Status\"",
        "remarks = \"Remarks\"",
    ] {
        assert!(draft.contains(line), "missing `{line}`:\n{draft}");
    }
    assert!(!draft.contains("[sources.tables.survivors"), "{draft}");
    let ran = w.run(&["run", "--config", "config"]);
    // Published with findings: two panchayats no list holds, one note.
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert!(ran.stdout.contains("field warnings: 3"), "{}", ran.all());
    assert_eq!(accounting(&w, "entitlements"), (6, 0, 0));
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let lake = w.path().join("output/current/lake/entitlements/*.parquet");
    let (_, rows) = query_text(
        &conn,
        &format!(
            "select entitlement, status, block from read_parquet('{}') order by source_row",
            lake.display()
        ),
    );
    let got: Vec<Vec<Option<String>>> = rows;
    let want = [
        ("ration_card", Some("received"), "Gosaba"),
        ("swasthya_sathi", Some("pending"), "Gosaba"),
        ("mgnrega_job_card", Some("rejected"), "Basanti"),
        ("lakshmir_bhandar", Some("pending"), "Canning I"),
        ("aadhaar", Some("received"), "Canning I"),
        ("housing_scheme", None, "Canning II"),
    ];
    for (g, (e, st, b)) in got.iter().zip(want) {
        assert_eq!(g[0].as_deref(), Some(e), "{got:?}");
        assert_eq!(g[1].as_deref(), st, "{got:?}");
        assert_eq!(g[2].as_deref(), Some(b), "{got:?}");
    }
}

/// Exports in layouts onboard's vocabulary was not written from
/// (`tests/fixtures/onboard_unseen/`, written from how KoboToolbox, ODK
/// Central and NGO spreadsheets lay them out): the draft for each.
fn draft_of(w: &Workdir, file: &str, partner: &str) -> (Ran, String) {
    let ran = onboard(w, &fixture(&format!("onboard_unseen/{file}")), partner);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let draft = std::fs::read_to_string(w.path().join(format!("config/pipelines/{partner}.toml"))).unwrap();
    (ran, draft)
}

#[test]
fn exports_onboard_was_not_written_from_are_drafted_as_they_mean() {
    let w = Workdir::new();
    project(&w);
    // A case list: "Victim" is her name, the chargesheet "filed on" a
    // case's date (not a compensation claim's), the verdict's date a
    // judgment date (not the verdict), a serial number no table's id.
    let (ran, d) = draft_of(
        &w,
        "case_list_victim_header_chargesheet_filed_on_verdict_date.csv",
        "case_list",
    );
    for expected in [
        "full_name = \"Victim\"",
        "chargesheet_date = \"Chargesheet Filed On\"",
        "judgment_date = \"Verdict Date\"",
        "outcome = \"Verdict\"",
    ] {
        assert!(d.contains(expected), "missing `{expected}` in:\n{d}");
    }
    for absent in [
        "[sources.tables.compensation_claims",
        "[sources.tables.entitlements",
        "= \"Sl\"",
    ] {
        assert!(!d.contains(absent), "`{absent}` in:\n{d}");
    }
    // A name shown by its shape only.
    let text = std::fs::read_to_string(fixture(
        "onboard_unseen/case_list_victim_header_chargesheet_filed_on_verdict_date.csv",
    ))
    .unwrap();
    for line in text.lines().skip(1) {
        let name = line.split(',').nth(1).unwrap();
        assert!(!ran.all().contains(name), "`{name}` printed");
    }
    // An ODK group flattened with hyphens: each header read by its last
    // part too. One date column does not make a claims table.
    let (_, d) = draft_of(&w, "registration_hyphenated_group_headers.csv", "registration");
    for expected in [
        "full_name = \"reg-name\"",
        "guardian_name = \"reg-guardian\"",
        "home_district = \"reg-district\"",
    ] {
        assert!(d.contains(expected), "missing `{expected}` in:\n{d}");
    }
    assert!(!d.contains("[sources.tables.compensation_claims"), "{d}");
    assert!(d.contains("no table is drafted from one date"), "{d}");
    // KoboToolbox's XML headers (q1, q2...): no header says "name"; the
    // values' shape does, and the first such column is hers, not her
    // father's.
    let (_, d) = draft_of(&w, "kobo_xml_headers_question_numbers.csv", "kobo_xml");
    assert!(d.contains("full_name = \"q2\""), "{d}");
    assert!(d.contains("# DECIDE: no header said \"name\""), "{d}");
    assert!(!d.contains("= \"q3\"  #"), "{d}");
    // A title, then group headings copied across the cells they span:
    // the header is on row 3.
    let (ran, d) = draft_of(&w, "title_then_group_headings_copied_across_header_row_3.csv", "titled");
    assert!(ran.stdout.contains("header on row 3"), "{}", ran.stdout);
    assert!(
        d.contains("header_row = 3") && d.contains("full_name = \"Survivor Name\""),
        "{d}"
    );
    // ODK Central: the repeat group's CSV and its parent, the review state.
    let (_, d) = draft_of(&w, "odk_form-cases.csv", "odk_cases");
    assert!(d.contains("index = \"KEY\", reference = \"PARENT_KEY\""), "{d}");
    for expected in [
        "fir_number = \"case-fir\"",
        "fir_date = \"case-fir_date\"",
        "police_station = \"case-ps\"",
    ] {
        assert!(d.contains(expected), "missing `{expected}` in:\n{d}");
    }
    let (_, d) = draft_of(&w, "odk_form.csv", "odk_main");
    assert!(d.contains("equals = { \"ReviewState\" = \"rejected\" }"), "{d}");
    // ODK's own `Status`, blank in every row, makes no claims table.
    assert!(!d.contains("[sources.tables.compensation_claims"), "{d}");
    assert!(d.contains("blank in every row"), "{d}");
}

#[test]
fn a_file_at_the_inbox_root_is_globbed_there_and_validate_warns_of_a_glob_that_matches_nothing() {
    let w = Workdir::new();
    project(&w);
    std::fs::create_dir_all(w.path().join("inbox")).unwrap();
    let file = w.path().join("inbox/export.csv");
    std::fs::copy(
        fixture("onboard_unseen/title_then_group_headings_copied_across_header_row_3.csv"),
        &file,
    )
    .unwrap();
    let ran = onboard(&w, &file, "root_partner");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let draft = std::fs::read_to_string(w.path().join("config/pipelines/root_partner.toml")).unwrap();
    assert!(draft.contains("files = \"*.csv\""), "{draft}");
    assert!(draft.contains("the file lies at the inbox's root"), "{draft}");
    // The pattern a draft used to write: valid, and it reads nothing.
    let folder_glob = draft.replace("files = \"*.csv\"", "files = \"root_partner/*.csv\"");
    std::fs::write(w.path().join("config/pipelines/root_partner.toml"), folder_glob).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 0, "a partner may send nothing in a week: {}", ran.all());
    assert!(
        ran.stdout
            .contains("files = `root_partner/*.csv` matches no file in the inbox")
            && ran.stdout.contains("1 in the inbox's root")
            && ran.stdout.contains("root_partner.toml"),
        "{}",
        ran.stdout
    );
    assert!(!ran.all().contains("export.csv"), "a file's name printed");
}
