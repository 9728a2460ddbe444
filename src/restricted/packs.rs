//! Partner data-quality packs: for each partner, a workbook of its own
//! records to fix, meant to be sent to that partner's data officer alone.
//!
//! The programme's MIS accuracy is the share of a partner's records with no
//! data-quality finding. A pack lists every finding on the partner's rows,
//! by the file and the row number the data officer sees in the export
//! (header row counted, as a spreadsheet numbers it), with the field, the
//! column of their export it comes from, the rule and what to do about it
//! in English and Bengali (`schemas/reference/fixes.toml`); so working
//! down the list raises the partner's accuracy, and the first sheet says
//! by how much. Then the partner's field scores and its accuracy run by
//! run.
//!
//! A pack names rows of one partner's export and that export's real file
//! names, so it lives in the restricted area (`packs/`, owner-only) and
//! holds nothing of another partner. It holds no cell value: the data
//! officer has the export open beside it.

use std::collections::BTreeMap;
use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::layout::RestrictedDir;

/// What to do about each rule, in English and Bengali.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixes {
    /// Whether a Bengali-speaking data officer has reviewed the Bengali.
    pub reviewed: bool,
    pub fixes: BTreeMap<String, Fix>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub en: String,
    pub bn: String,
}

impl Fixes {
    /// The shipped catalogue.
    pub fn load() -> Result<Fixes> {
        let path = "schemas/reference/fixes.toml";
        toml::from_str(include_str!("../../schemas/reference/fixes.toml")).map_err(|e| Error::Config {
            path: path.into(),
            problems: vec![e.to_string()],
        })
    }

    /// The fix for `rule`, or a general one for a rule the catalogue lacks
    /// (a unit test keeps that from happening to a shipped rule).
    fn of(&self, rule: &str) -> (&str, &str) {
        match self.fixes.get(rule) {
            Some(f) => (&f.en, &f.bn),
            None => (
                "Check this field against the source document and correct it.",
                "উৎস নথির সঙ্গে এই ঘরটি মিলিয়ে দেখুন এবং ঠিক করুন।",
            ),
        }
    }
}

/// One partner, as the packs need it.
pub struct PartnerInfo<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// Canonical `table.field` -> the column of the partner's export it is
    /// read from (first source that maps it).
    pub columns: BTreeMap<String, String>,
}

/// What the packs said, for the run's log.
#[derive(Debug, Default)]
pub struct PacksWritten {
    pub partners: usize,
    pub findings: usize,
}

/// Write one pack per partner into `area`'s `packs/` folder from the
/// snapshot's warehouse.
pub fn write(
    conn: &duckdb::Connection,
    (area, lake): (&RestrictedDir, &Path),
    partners: &[PartnerInfo<'_>],
    run_id: &str,
) -> Result<PacksWritten> {
    let fixes = Fixes::load()?;
    super::restricted_dir(&area.packs())?;
    // Published file name -> the partner's own name for it.
    let real: BTreeMap<String, String> = super::real_file_names(area);
    // In parallel, a connection each (two at a time on two cores): a pack
    // is a few queries and a workbook to compress, and one after another
    // they leave a core idle.
    use rayon::prelude::*;
    let conns = partners
        .iter()
        .map(|_| conn.try_clone())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::warehouse("opening a connection for each data-quality pack"))?;
    let findings = partners
        .par_iter()
        .zip(conns)
        .map(|(p, conn)| {
            let path = area.pack(p.id);
            // Written owner-only, into an owner-only folder.
            write_one(&conn, (p, lake), &fixes, &real, run_id, &path)
        })
        .collect::<Result<Vec<usize>>>()?;
    Ok(PacksWritten {
        partners: findings.len(),
        findings: findings.iter().sum(),
    })
}

/// Rows of a query, every cell as text ("" for null).
fn text_rows(conn: &duckdb::Connection, sql: &str, partner: &str) -> Result<Vec<Vec<String>>> {
    let err = || Error::warehouse("reading a partner's data-quality findings");
    let mut stmt = conn.prepare(sql).map_err(err())?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([partner], |r| {
            (0..n)
                .map(|i| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default))
                .collect()
        })
        .map_err(err())?;
    rows.collect::<std::result::Result<_, _>>().map_err(err())
}

struct Formats {
    header: Format,
    wrap: Format,
    title: Format,
}

fn sheet<'a>(
    wb: &'a mut Workbook,
    name: &str,
    headers: &[(&str, f64)],
    f: &Formats,
) -> std::result::Result<&'a mut Worksheet, XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    for (i, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &f.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.set_footer("&CPage &P of &N");
    Ok(ws)
}

/// Write text or a number (a cell that reads as one).
fn cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    wrap: Option<&Format>,
) -> std::result::Result<(), XlsxError> {
    if let Ok(n) = text.parse::<f64>() {
        ws.write_number(row, col, n)?;
    } else if !text.is_empty() {
        let text = crate::report::neutralise(text);
        match wrap {
            Some(f) => ws.write_string_with_format(row, col, text, f)?,
            None => ws.write_string(row, col, text)?,
        };
    }
    Ok(())
}

/// What one partner's pack shows, read from the warehouse as text.
struct PackRows {
    /// Every finding: errors first (the row was not used), then file and row order.
    findings: Vec<Vec<String>>,
    /// Per table: records, clean records, accuracy, newest record date.
    scores: Vec<Vec<String>>,
    /// Per field: completeness, validity, consistency, uniqueness, worst first.
    fields: Vec<Vec<String>>,
    /// Accuracy at each earlier run, newest first.
    trend: Vec<Vec<String>>,
}

impl PackRows {
    /// The findings from the lake (where each names its file and row; the
    /// warehouse keeps no row of a partner's file), the scores from the
    /// warehouse.
    fn read(conn: &duckdb::Connection, partner: &str, lake: &Path) -> Result<PackRows> {
        let glob = crate::layout::lake::table_glob(lake, "dq_issues")
            .to_string_lossy()
            .replace('\'', "''");
        let findings = text_rows(
            conn,
            &format!(
                "select source_file, source_row::varchar, table_name, field, rule_id, severity, message
                 from read_parquet('{glob}') where partner_id = ?
                 order by severity = 'error' desc, source_file, source_row, table_name, field, rule_id"
            ),
            partner,
        )?;
        let scores = text_rows(
            conn,
            "select replace(table_name, '_', ' '), records::varchar, clean_records::varchar, accuracy_pct::varchar,
                    newest_record_date::varchar
             from fct_dq_table_scores where partner_id = ? order by table_name",
            partner,
        )?;
        let fields = text_rows(
            conn,
            "select replace(table_name, '_', ' '), field, completeness_pct::varchar, validity_pct::varchar,
                    consistency_pct::varchar, uniqueness_pct::varchar
             from fct_dq_field_scores where partner_id = ?
             order by least(coalesce(validity_pct, 100), consistency_pct, uniqueness_pct, completeness_pct), 1, 2",
            partner,
        )?;
        // Each run dated as its snapshot is named (the run's clock, judged),
        // not by the moment the process started: a night and a full
        // rebuild of the same inbox write the same pack.
        let trend = text_rows(
            conn,
            "select strftime(coalesce(try_strptime(left(run_id, 15), '%Y%m%dT%H%M%S'), started_at) + interval 330 minute, '%Y-%m-%d %H:%M'),
                    replace(table_name, '_', ' '), records::varchar, clean_records::varchar, accuracy_pct::varchar
             from dq_accuracy_history where partner_id = ? order by run_id desc, table_name",
            partner,
        )?;
        Ok(PackRows {
            findings,
            scores,
            fields,
            trend,
        })
    }

    /// Records, and records with no finding, over the partner's tables.
    fn totals(&self) -> (f64, f64) {
        self.scores.iter().fold((0.0, 0.0), |(r, c), s| {
            (
                r + s[1].parse::<f64>().unwrap_or(0.0),
                c + s[2].parse::<f64>().unwrap_or(0.0),
            )
        })
    }
}

fn write_one(
    conn: &duckdb::Connection,
    (p, lake): (&PartnerInfo<'_>, &Path),
    fixes: &Fixes,
    real: &BTreeMap<String, String>,
    run_id: &str,
    path: &Path,
) -> Result<usize> {
    let x = |e: XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let f = Formats {
        header: Format::new()
            .set_bold()
            .set_background_color("EEF1F6")
            .set_text_wrap()
            .set_align(FormatAlign::Top),
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        title: Format::new().set_bold().set_font_size(13).set_text_wrap(),
    };
    let rows = PackRows::read(conn, p.id, lake)?;
    let mut wb = Workbook::new();
    // Dated by the run, not the moment written (as the report workbook).
    if let Some(properties) = crate::report::workbook::dated_by_run(run_id) {
        wb.set_properties(&properties);
    }
    read_me(&mut wb, p, fixes, run_id, rows.totals(), &f).map_err(x)?;
    to_fix(&mut wb, p, fixes, real, &rows.findings, &f).map_err(x)?;
    scorecard_and_trend(&mut wb, &rows, &f).map_err(x)?;
    let bytes = wb.save_to_buffer().map_err(x)?;
    super::write_owner_only(path, &bytes)?;
    Ok(rows.findings.len())
}

/// The first sheet: what this is and what working down it does, in
/// English and Bengali.
fn read_me(
    wb: &mut Workbook,
    p: &PartnerInfo<'_>,
    fixes: &Fixes,
    run_id: &str,
    (records, clean): (f64, f64),
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("Read me")?;
    // One column of wrapped paragraphs, a page wide, each row as tall
    // as its text needs.
    ws.set_column_width(0, 100.0)?;
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    let accuracy = if records > 0.0 { 100.0 * clean / records } else { 100.0 };
    let lines: Vec<(String, Option<&Format>)> = vec![
        (format!("{}: records to fix", p.name), Some(&f.title)),
        (format!("{} : সংশোধনের জন্য রেকর্ড", p.name), Some(&f.title)),
        (format!("tafteesh run {run_id}. For {} only: do not pass it to anyone else.", p.name), None),
        (
            format!(
                "MIS accuracy: {} of {} records have no problem ({accuracy:.1}%). The {} other records have the problems listed on the sheet 'To fix', one line per problem. Correct them in your register and in your next export: each record whose problems you fix counts as accurate from the next run.",
                clean as u64,
                records as u64,
                (records - clean) as u64
            ),
            Some(&f.wrap),
        ),
        (
            format!(
                "এমআইএস নির্ভুলতা: {} টি রেকর্ডের মধ্যে {} টিতে কোনো সমস্যা নেই ({accuracy:.1}%)। বাকি {} টি রেকর্ডের সমস্যা 'To fix' শিটে দেওয়া আছে, প্রতি সমস্যায় একটি লাইন। আপনার রেজিস্টারে ও পরের এক্সপোর্টে সেগুলো ঠিক করুন: যে রেকর্ডের সব সমস্যা ঠিক হবে, পরের রানে সেটি নির্ভুল হিসেবে গণ্য হবে।",
                records as u64,
                clean as u64,
                (records - clean) as u64
            ),
            Some(&f.wrap),
        ),
        (
            "How to use it: open your export beside this file. 'File' and 'Row' are the file you sent and the row number your spreadsheet shows (the header is row 1). 'Column in your export' is the column to correct. Errors come first: those rows could not be used at all. This file holds no names, numbers or other values.".into(),
            Some(&f.wrap),
        ),
        (
            "কীভাবে ব্যবহার করবেন: এই ফাইলের পাশে আপনার এক্সপোর্টটি খুলুন। 'File' ও 'Row' হলো আপনার পাঠানো ফাইল ও আপনার স্প্রেডশিটে দেখানো সারির নম্বর (শিরোনাম সারি ১)। 'Column in your export' হলো যে কলামটি ঠিক করতে হবে। ত্রুটিগুলো (error) প্রথমে: সেই সারিগুলো একেবারেই ব্যবহার করা যায়নি। এই ফাইলে কোনো নাম, নম্বর বা অন্য কোনো মান নেই।".into(),
            Some(&f.wrap),
        ),
        (
            if fixes.reviewed {
                String::new()
            } else {
                "The Bengali text has not yet been reviewed by a Bengali-speaking data officer; where it is unclear, the English is the reference. / বাংলা লেখাটি এখনও কোনো বাংলাভাষী ডেটা অফিসার যাচাই করেননি; কোথাও অস্পষ্ট হলে ইংরেজিটি দেখুন।".into()
            },
            Some(&f.wrap),
        ),
    ];
    for (i, (text, fmt)) in lines.iter().enumerate() {
        let row = i as u32 * 2;
        cell(ws, row, 0, text, *fmt)?;
        if let Some(h) = crate::report::workbook::wrapped_height([(text.as_str(), 100.0)]) {
            ws.set_row_height(row, h)?;
        }
    }
    Ok(())
}

/// The sheet to work down: one line per finding, with the file by its
/// real name, the row as the partner's spreadsheet numbers it, the column
/// of the export, and what to do in English and Bengali.
fn to_fix(
    wb: &mut Workbook,
    p: &PartnerInfo<'_>,
    fixes: &Fixes,
    real: &BTreeMap<String, String>,
    findings: &[Vec<String>],
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    let ws = sheet(
        wb,
        "To fix",
        &[
            ("File", 34.0),
            ("Row", 7.0),
            ("Table", 12.0),
            ("Field", 20.0),
            ("Column in your export", 22.0),
            ("Problem", 30.0),
            ("Severity", 18.0),
            ("What to do", 50.0),
            ("কী করবেন", 50.0),
        ],
        f,
    )?;
    for (i, r) in findings.iter().enumerate() {
        let row = i as u32 + 1;
        let file = real.get(&r[0]).unwrap_or(&r[0]);
        let column = p
            .columns
            .get(&format!("{}.{}", r[2], r[3]))
            .map(String::as_str)
            .unwrap_or_default();
        let severity = if r[5] == "error" {
            "error: row not used"
        } else {
            "warning: used, flagged"
        };
        let (en, bn) = fixes.of(&r[4]);
        cell(ws, row, 0, file, Some(&f.wrap))?;
        cell(ws, row, 1, &r[1], None)?;
        cell(ws, row, 2, &r[2].replace('_', " "), None)?;
        cell(ws, row, 3, &r[3], None)?;
        cell(ws, row, 4, column, Some(&f.wrap))?;
        cell(ws, row, 5, &r[6], Some(&f.wrap))?;
        cell(ws, row, 6, severity, None)?;
        cell(ws, row, 7, en, Some(&f.wrap))?;
        cell(ws, row, 8, bn, Some(&f.wrap))?;
        let texts = [
            (file.as_str(), 34.0),
            (column, 22.0),
            (r[6].as_str(), 30.0),
            (en, 50.0),
            (bn, 50.0),
        ];
        if let Some(h) = crate::report::workbook::wrapped_height(texts) {
            ws.set_row_height(row, h)?;
        }
    }
    ws.autofilter(0, 0, findings.len().max(1) as u32, 8)?;
    Ok(())
}

/// The per-field scorecard and the accuracy at each run, as tables.
fn scorecard_and_trend(wb: &mut Workbook, rows: &PackRows, f: &Formats) -> std::result::Result<(), XlsxError> {
    let scorecard: [(&str, f64); 6] = [
        ("Table", 20.0),
        ("Field", 24.0),
        ("Completeness %", 14.0),
        ("Validity %", 12.0),
        ("Consistency %", 14.0),
        ("Uniqueness %", 14.0),
    ];
    let runs: [(&str, f64); 5] = [
        ("Run (IST)", 18.0),
        ("Table", 20.0),
        ("Records", 10.0),
        ("With no problem", 16.0),
        ("Accuracy %", 12.0),
    ];
    for (name, headers, rows) in [
        ("Scorecard", &scorecard[..], &rows.fields),
        ("Trend", &runs[..], &rows.trend),
    ] {
        let ws = sheet(wb, name, headers, f)?;
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                cell(ws, i as u32 + 1, c as u16, v, None)?;
            }
        }
        ws.autofilter(0, 0, rows.len().max(1) as u32, headers.len() as u16 - 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_a_finding_can_carry_has_a_fix_in_both_languages() {
        let fixes = Fixes::load().unwrap();
        let model = crate::config::Model::load().unwrap();
        let declared: Vec<String> = model
            .schemas
            .iter()
            .flat_map(|s| s.rules.iter().map(|r| r.id.clone()))
            .collect();
        assert!(declared.len() >= 10, "{declared:?}");
        for rule in crate::clean::BUILT_IN_RULES
            .iter()
            .map(|r| r.to_string())
            .chain(declared)
        {
            let fix = fixes.fixes.get(&rule).unwrap_or_else(|| panic!("no fix for `{rule}`"));
            assert!(
                fix.en.len() > 20 && fix.bn.chars().any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)),
                "{rule}"
            );
        }
    }
}
