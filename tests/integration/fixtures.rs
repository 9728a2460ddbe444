//! What a user sees for each quirky or broken input, one fixture file per quirk.

use std::path::Path;

use crate::util::{Workdir, alias_of, copy_dir, fixture, lake_as_written, query_text, reference};

/// `config/` in the work dir: the fixture pipelines from `pipelines_dir` and a tafteesh.toml.
fn write_config(w: &Workdir, pipelines_dir: &str, project_toml: &str) {
    copy_dir(&fixture(pipelines_dir), &w.path().join("config/pipelines"));
    std::fs::write(w.path().join("config/tafteesh.toml"), project_toml).unwrap();
}

/// A config folder over the fixture partner, with a key and the fixture inbox.
pub fn fixture_setup(w: &Workdir) {
    let root = w.path();
    write_config(
        w,
        "pipelines",
        "inbox = \"../inbox\"\noutput = \"../output\"\nkey_file = \"../key/pseudonym.key\"\n",
    );
    copy_dir(&fixture("inbox"), &root.join("inbox"));
    assert_eq!(w.run(&["keygen", "key/pseudonym.key"]).code, 0);
    // XLSX fixtures are written here rather than committed as binaries.
    let good = root.join("inbox/fixture_ngo/register_sheet_title_row.xlsx");
    write_xlsx(
        &good,
        "Register",
        &[("F-50", "Xela Good Test", "9876500050", "F", "Purulia", "15/08/2023")],
    );
    // Excel's "Unicode text": UTF-16LE with a byte-order mark, tab-separated,
    // CRLF. Written here because git would take it for a binary file.
    let text =
        "ID\tName\tPhone\tSex\tDistrict\tRescue Date\r\nF-80\tUnni Tekst Test\t9876500080\tমহিলা\tনদিয়া\t10/05/2022\r\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(root.join("inbox/fixture_ngo/excel_unicode_text_utf16_tabs.txt"), utf16).unwrap();
    let wrong = root.join("inbox/fixture_ngo/wrong_sheet_name.xlsx");
    write_xlsx(
        &wrong,
        "Sheet1",
        &[("F-60", "Rong Shetty Test", "9876500060", "F", "Purulia", "15/08/2023")],
    );
}

fn write_xlsx(path: &Path, sheet: &str, rows: &[(&str, &str, &str, &str, &str, &str)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (c, h) in ["ID", "Name", "Phone", "Sex", "District", "Rescue Date"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let cells = [row.0, row.1, row.2, row.3, row.4, row.5];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
        // A phone typed as a number, as Excel users do.
        ws.write_number(r as u32 + 1, 2, row.2.parse::<f64>().unwrap()).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn broken_files_are_named_with_their_reason_and_the_rest_still_load() {
    let w = Workdir::new();
    fixture_setup(&w);
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(
        ran.code,
        4,
        "a run with unusable files is partial (exit 4):\n{}",
        ran.all()
    );
    let out = ran.all();
    for (file, reason) in [
        ("empty_file.csv", "the file is empty"),
        ("xlsx_renamed_to_csv.csv", "not a text file"),
        (
            "none_of_the_mapped_columns.csv",
            "mapped columns not found in the file: ID, Name, Phone, Sex, District, Rescue Date",
        ),
        (
            "wrong_sheet_name.xlsx",
            "sheet `Register` not found; the workbook has: Sheet1",
        ),
        (
            "required_id_column_missing.csv",
            "table `survivors`: mapped columns not found in the file: ID",
        ),
        (
            "declared_utf8_but_windows1252.tsv",
            "the bytes are not valid UTF-8 (first bad byte at offset 56)",
        ),
    ] {
        // Named by its alias, which `tafteesh files` looks up.
        let alias = alias_of(&w, "config", &format!("fixture_ngo/{file}"));
        let line = out
            .lines()
            .find(|l| l.contains(&alias) && l.contains("NOT USED"))
            .unwrap_or_else(|| panic!("no line for {file} ({alias}):\n{out}"));
        assert!(line.contains(reason), "{file}: expected `{reason}` in `{line}`");
    }
    assert!(
        out.contains(&alias_of(&w, "config", "fixture_ngo/windows1252_undeclared.csv"))
            && out.contains("read as Windows-1252"),
        "{out}"
    );

    let db = w.path().join("output/current/research/warehouse/tafteesh.duckdb");
    let conn = tafteesh::warehouse::open(&db).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    // By the ids as the exports wrote them (the lake publishes pseudonyms).
    let survivors = lake_as_written(&conn, &w.path().join("output"), "survivors", "fixture_ngo");
    let (_, rows) = query_text(
        &conn,
        &format!("select survivor_ref, sex, home_district, rescue_date from {survivors} order by survivor_ref"),
    );
    let refs: Vec<&str> = rows.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert_eq!(
        refs,
        [
            "F-1", "F-10", "F-100", "F-101", "F-11", "F-13", "F-2", "F-21", "F-30", "F-40", "F-50", "F-70", "F-80"
        ]
    );
    let f70 = &rows[11];
    assert_eq!(
        (f70[2].as_deref(), f70[3].as_deref()),
        (Some("Nadia"), Some("2022-04-09")),
        "semicolon-separated, detected"
    );
    let f80 = &rows[12];
    assert_eq!(
        (f80[1].as_deref(), f80[2].as_deref(), f80[3].as_deref()),
        (Some("female"), Some("Nadia"), Some("2022-05-10")),
        "UTF-16 Excel text with Bengali cells"
    );
    assert!(
        out.lines().any(|l| l.contains(&alias_of(
            &w,
            "config",
            "fixture_ngo/semicolon_delimited_undeclared.csv"
        )) && l.contains("semicolon-separated")),
        "the detected delimiter is noted:\n{out}"
    );
    let f2 = &rows[6];
    assert_eq!(f2[1].as_deref(), Some("female"));
    assert_eq!(f2[2].as_deref(), Some("North 24 Parganas"), "Bengali-script district");
    assert_eq!(f2[3].as_deref(), Some("2021-03-06"), "Bengali digits in a date");
    // The lake itself holds the pseudonyms, never the ids.
    let (_, published) = query_text(
        &conn,
        "select survivor_ref from raw_survivors where partner_id = 'fixture_ngo' order by all",
    );
    assert_eq!(published.len(), refs.len());
    assert!(published.iter().all(|r| !r[0].as_deref().unwrap().starts_with("F-")));
    assert!(published.contains(&vec![Some(reference(&w, "key/pseudonym.key", "fixture_ngo", "F-70"))]));
    let f10 = &rows[1];
    let f100 = &rows[2];
    assert_eq!(
        f100[2].as_deref(),
        None,
        "an unknown place is nulled, never published as typed (its spelling stays restricted)"
    );
    assert_eq!(f10[3], None, "an impossible date is nulled, not guessed");

    // Field warnings name file, row, field and rule.
    let (_, issues) = query_text(
        &conn,
        "select source_file, source_row, field, rule_id, severity from raw_dq_issues order by all",
    );
    let has = |file: &str, row: &str, field: &str, rule: &str| {
        let alias = alias_of(&w, "config", &format!("fixture_ngo/{file}"));
        issues.iter().any(|i| {
            i[0].as_deref() == Some(alias.as_str())
                && i[1].as_deref() == Some(row)
                && i[2].as_deref() == Some(field)
                && i[3].as_deref() == Some(rule)
        })
    };
    assert!(
        has(
            "impossible_date_and_blank_id.csv",
            "2",
            "rescue_date",
            "date.impossible"
        ),
        "{issues:?}"
    );
    assert!(
        has("impossible_date_and_blank_id.csv", "4", "survivor_ref", "required"),
        "{issues:?}"
    );
    assert!(
        has("impossible_date_and_blank_id.csv", "5", "phone", "phone.not_mobile"),
        "{issues:?}"
    );
    assert!(has("ragged_row.csv", "2", "(row)", "row.ragged"), "{issues:?}");

    // Unknown places are published by shape, once per spelling's shape;
    // the spelling is kept, restricted, for the gazetteer to grow.
    let (_, places) = query_text(
        &conn,
        "select partner_id, table_name, field, shape, records, files from fct_dq_unknown_places",
    );
    assert_eq!(
        places,
        [["fixture_ngo", "survivors", "home_district", "Aaaaaaaaa", "2", "1"].map(|c| Some(c.to_string()))],
        "trimmed when read: one spelling, two records"
    );
    let html = std::fs::read_to_string(w.path().join("output/current/reports/index.html")).unwrap();
    assert!(
        html.contains("<td>home_district</td><td>Aaaaaaaaa</td><td>2</td>"),
        "the report lists the unknown place by its shape"
    );
    assert!(!html.contains("Murshidbd"), "the spelling is not published");
    let restricted = std::fs::read_to_string(
        w.path()
            .join("output/restricted/latest/quarantine/fixture_ngo/unknown_places.csv"),
    )
    .unwrap();
    assert!(
        restricted
            .contains("fixture_ngo/district_spelled_outside_the_gazetteer.csv,survivors,home_district,Murshidbd,2"),
        "{restricted}"
    );

    // Every row accounted for, per file and table.
    let (_, acct) = query_text(
        &conn,
        "select source_file, rows_read, duplicates + no_record + quarantined + kept, duplicates from raw_load_files where error is null",
    );
    for a in &acct {
        assert_eq!(a[1], a[2], "accounting for {:?}", a[0]);
    }
    let duplicates = alias_of(&w, "config", "fixture_ngo/exact_duplicate_rows.csv");
    assert!(
        acct.iter()
            .any(|a| a[0].as_deref() == Some(duplicates.as_str()) && a[3].as_deref() == Some("1"))
    );

    // The quarantine is restricted and tells the data officer what to fix.
    // Named by the file's alias, and holding its real name.
    let alias = alias_of(&w, "config", "fixture_ngo/impossible_date_and_blank_id.csv");
    let q = w
        .path()
        .join(format!("output/restricted/latest/quarantine/{alias}.quarantine.csv"));
    let text = std::fs::read_to_string(&q).unwrap_or_else(|e| panic!("{}: {e}", q.display()));
    assert!(
        text.contains("survivors.survivor_ref: required field is blank (required)")
            && text.contains("fixture_ngo/impossible_date_and_blank_id.csv"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.path().join("output/restricted"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "restricted area must be owner-only");
    }

    // Nothing personal in what the user saw.
    for secret in [
        "Quarantine Test",
        "Noid Person",
        "98765000",
        "Rugged Rowan",
        "Café",
        "Unni Tekst Test",
        "Daclared Caf",
        "Gazette Typo",
        "No Id Header",
        "Minnie Flagg",
    ] {
        assert!(!out.contains(secret), "`{secret}` leaked into the output:\n{out}");
    }
}

#[test]
fn a_minor_flag_age_or_birth_date_that_contradict_are_flagged() {
    let w = Workdir::new();
    fixture_setup(&w);
    w.run(&["run", "--config", "config"]);
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let (_, rows) = query_text(
        &conn,
        "select source_row || ' ' || field || ' ' || rule_id from raw_dq_issues
         where partner_id = 'fixture_collective' order by source_row, rule_id",
    );
    let got: Vec<&str> = rows.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert_eq!(
        got,
        [
            "2 minor_at_rescue survivors.minor_flag_matches_age",
            "3 minor_at_rescue survivors.minor_flag_matches_age",
            "5 age_years survivors.age_matches_birth_date",
            "6 rescue_date survivors.rescue_after_birth",
        ]
    );
    let (_, kept) = query_text(
        &conn,
        "select count(*) filter (where minor_at_rescue), count(*) from raw_survivors where partner_id = 'fixture_collective'",
    );
    assert_eq!(
        kept[0],
        [Some("2".into()), Some("5".into())],
        "warnings: every row kept, flags as written"
    );
}

#[test]
fn a_suppression_threshold_that_would_publish_single_cases_is_refused() {
    let w = Workdir::new();
    write_config(
        &w,
        "pipelines",
        "inbox = \"../inbox\"\noutput = \"../output\"\n[suppression]\nk = 1\n",
    );
    std::fs::create_dir_all(w.path().join("inbox")).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(ran.stderr.contains("tafteesh.toml"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("suppression.k must be from 2 to 100 (it is 1)"),
        "{}",
        ran.stderr
    );
}

#[test]
fn every_config_mistake_is_listed_with_the_file_named() {
    let w = Workdir::new();
    write_config(&w, "bad_pipelines", "inbox = \"../inbox\"\noutput = \"../output\"\n");
    std::fs::create_dir_all(w.path().join("inbox")).unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    let err = ran.stderr;
    for expected in [
        "broken_partner.toml",
        "unknown key `colour`",
        "mapped column `fullname` is not a column of `survivors`, did you mean `full_name`?",
        "`woman`, which is not one of",
        "unknown table `survivours`, did you mean `survivors`?",
        "required column `survivors.survivor_ref` is not mapped",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn a_missing_inbox_is_a_clear_failure() {
    let w = Workdir::new();
    let toml = "inbox = \"../no-such-inbox\"\noutput = \"../output\"\nkey_file = \"../key/k\"\n";
    write_config(&w, "pipelines", toml);
    assert_eq!(w.run(&["keygen", "key/k"]).code, 0);
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert!(ran.stderr.contains("no-such-inbox does not exist"), "{}", ran.stderr);
    assert!(!w.path().join("output/current").exists(), "nothing is published");
}

#[test]
fn a_run_without_a_key_is_refused_before_reading_data() {
    let w = Workdir::new();
    write_config(&w, "pipelines", "inbox = \"../inbox\"\noutput = \"../output\"\n");
    std::fs::create_dir_all(w.path().join("inbox")).unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(ran.stderr.contains("TAFTEESH_KEY"), "{}", ran.stderr);
}

#[test]
fn cross_field_contradictions_and_repeated_ids_are_flagged_by_rule_and_scored() {
    let w = Workdir::new();
    fixture_setup(&w);
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    let (_, rows) = query_text(
        &conn,
        "select source_row, field, rule_id, severity, message from raw_dq_issues
         where partner_id = 'fixture_lawyers' order by source_row, rule_id",
    );
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r[0].as_deref().unwrap(),
                r[1].as_deref().unwrap(),
                r[2].as_deref().unwrap(),
                r[3].as_deref().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "2 chargesheet_date cases.chargesheet_after_fir warning",
            "3 outcome cases.outcome_needs_judgment warning",
            "4 outcome cases.conviction_needs_chargesheet warning",
            "5 accused_arrested cases.arrested_within_accused warning",
            "5 judgment_date cases.judgment_needs_outcome warning",
            "7 case_ref key.duplicate warning",
            // An unreadable judgment date is a validity finding, not also a missing judgment.
            "8 judgment_date date.unrecognised warning",
        ]
    );
    assert_eq!(rows[0][4].as_deref(), Some("chargesheet dated before the FIR"));
    // Every row is kept: these are warnings.
    let (_, kept) = query_text(
        &conn,
        "select count(*) from raw_cases where partner_id = 'fixture_lawyers'",
    );
    assert_eq!(kept[0][0].as_deref(), Some("7"));
    // The scorecard: one record of seven has no finding.
    let (_, score) = query_text(
        &conn,
        "select records, clean_records, accuracy_pct from fct_dq_table_scores where partner_id = 'fixture_lawyers'",
    );
    assert_eq!(score, [[Some("7".into()), Some("1".into()), Some("14.3".into())]]);
    let (_, ind) = query_text(
        &conn,
        "select numerator, denominator from indicator_values where indicator_id = 'mis_accuracy' and dimension = 'partner' and dimension_value = 'fixture_lawyers'",
    );
    assert_eq!(ind, [[Some("1".into()), Some("7".into())]]);
    let (_, fields) = query_text(
        &conn,
        "select field, filled, invalid, inconsistent, duplicate from fct_dq_field_scores
         where partner_id = 'fixture_lawyers' and field in ('case_ref', 'judgment_date', 'outcome') order by field",
    );
    let fields: Vec<Vec<String>> = fields
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap()).collect())
        .collect();
    assert_eq!(
        fields,
        [
            ["case_ref", "7", "0", "0", "1"],
            ["judgment_date", "5", "1", "1", "0"],
            ["outcome", "5", "0", "2", "0"],
        ]
    );
}

#[test]
fn an_operators_linkage_settings_are_checked_and_used() {
    let w = Workdir::new();
    fixture_setup(&w);
    let settings = w.path().join("config/linkage.toml");
    let shipped =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/linkage/settings.toml"))
            .unwrap();
    std::fs::write(
        &settings,
        shipped.replace("[\"phone\"],", "[\"phone\", \"shoe_size\"],"),
    )
    .unwrap();
    let ran = w.run(&["validate", "--config", "config"]);
    assert_eq!(ran.code, 6, "{}", ran.all());
    assert!(
        ran.stderr.contains("linkage.toml") && ran.stderr.contains("blocking field `shoe_size`"),
        "{}",
        ran.stderr
    );
    // A valid override is used, and changing it is a change: no no-op.
    std::fs::write(&settings, &shipped).unwrap();
    assert_eq!(w.run(&["run", "--config", "config"]).code, 4);
    std::fs::write(
        &settings,
        shipped.replace("link_probability = 0.85", "link_probability = 0.99"),
    )
    .unwrap();
    let again = w.run(&["run", "--config", "config"]);
    assert!(!again.all().contains("nothing changed"), "{}", again.all());
}

#[test]
fn a_record_in_two_exports_or_twice_in_one_is_published_once_as_its_newest_version() {
    let w = Workdir::new();
    fixture_setup(&w);
    // F-600 in an older and a newer export (the newer file's name sorts
    // last, as dated exports do); F-601 twice in the newer one.
    let dir = w.path().join("inbox/fixture_ngo");
    let header = "ID,Name,Phone,Sex,District,Rescue Date\n";
    std::fs::write(
        dir.join("a_record_exported_twice_1.csv"),
        format!("{header}F-600,Older Version Test,9876500600,F,Howrah,01/06/2023\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("a_record_exported_twice_2.csv"),
        format!(
            "{header}F-600,Newer Version Test,9876500600,F,Malda,01/06/2023\n\
             F-601,First Row Test,9876500601,F,Howrah,02/06/2023\n\
             F-601,Second Row Test,9876500601,F,Nadia,02/06/2023\n"
        ),
    )
    .unwrap();
    let ran = w.run(&["run", "--config", "config"]);
    assert_eq!(ran.code, 4, "{}", ran.all());
    let conn = tafteesh::warehouse::open(&w.path().join("output/current/research/warehouse/tafteesh.duckdb")).unwrap();
    crate::util::with_lake(&conn, &w.path().join("output/current"));
    // Every version is in the raw table; the mart holds the newest: the
    // newest file's, and within a file its last row.
    // Records named by the pseudonyms the warehouse holds for their ids.
    let id = |partner: &str, r: &str| reference(&w, "key/pseudonym.key", partner, r);
    let (f600, f601) = (id("fixture_ngo", "F-600"), id("fixture_ngo", "F-601"));
    let (_, raw) = query_text(
        &conn,
        &format!("select count(*) from raw_survivors where survivor_ref in ('{f600}', '{f601}')"),
    );
    assert_eq!(raw, [[Some("4".into())]]);
    // The mart names each record by its research key (no reference, file
    // or row): the newest version is told by its values.
    let key = |kind: &str, partner: &str, r: &str| crate::util::record_key(&w, "key/pseudonym.key", kind, partner, r);
    let (k600, k601) = (
        key("survivor", "fixture_ngo", "F-600"),
        key("survivor", "fixture_ngo", "F-601"),
    );
    let (_, rows) = query_text(
        &conn,
        &format!(
            "select survivor_record_key, home_district, versions_in_exports from dim_survivors
             where partner_id = 'fixture_ngo' and survivor_record_key in ('{k600}', '{k601}')
             order by survivor_record_key = '{k601}'"
        ),
    );
    assert_eq!(
        rows,
        [
            [k600.as_str(), "Malda", "2"].map(|v| Some(v.to_string())),
            [k601.as_str(), "Nadia", "2"].map(|v| Some(v.to_string())),
        ]
    );
    // The older versions held other values: the mart took the newest.
    let file = alias_of(&w, "config", "fixture_ngo/a_record_exported_twice_2.csv");
    let (_, older) = query_text(
        &conn,
        &format!(
            "select count(*) from raw_survivors where survivor_ref in ('{f600}', '{f601}')
               and source_file <> '{file}' and home_district in ('Malda', 'Nadia')"
        ),
    );
    assert_eq!(older, [[Some("0".into())]]);
    // A record seen once has one version.
    let (_, once) = query_text(
        &conn,
        &format!(
            "select versions_in_exports from dim_survivors where partner_id = 'fixture_ngo' and survivor_record_key = '{}'",
            key("survivor", "fixture_ngo", "F-70")
        ),
    );
    assert_eq!(once, [[Some("1".into())]]);
    // The docket's repeated case id (rows 6 and 7): its later row's FIR date.
    let (_, case) = query_text(
        &conn,
        &format!(
            "select fir_date, versions_in_exports from fct_cases
             where partner_id = 'fixture_lawyers' and case_record_key = '{}'",
            key("case", "fixture_lawyers", "L-5")
        ),
    );
    assert_eq!(case, [["2021-01-11", "2"].map(|v| Some(v.to_string()))]);
    let (_, rows) = query_text(
        &conn,
        &format!(
            "select fir_date, source_row from raw_cases where partner_id = 'fixture_lawyers' and case_ref = '{}' order by source_row",
            id("fixture_lawyers", "L-5")
        ),
    );
    assert_eq!(rows.last().unwrap()[0].as_deref(), Some("2021-01-11"), "{rows:?}");
    assert_ne!(rows[0][0].as_deref(), Some("2021-01-11"), "{rows:?}");
}
