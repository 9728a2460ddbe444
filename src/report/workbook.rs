//! The Excel workbook for programme staff: indicators, breakdowns, data
//! quality, definitions and the exports read.
//!
//! Numbers are stored as numbers and dates as dates, so staff can sort,
//! filter and chart them; rupees and counts carry the Indian grouping
//! format (12,34,567) and every percentage one format (97.3, 100.0); every
//! sheet has a frozen header row, filters, columns as wide as their
//! contents (long text wraps instead of spilling into the next cell) and a
//! page set-up for A4 landscape, one page wide, the header row repeated on
//! every page. Indicators come in the dashboard's order, with a column
//! telling years from quarters; the latest complete financial year has a
//! sheet of its own, which prints in a few pages. A hidden figure is the
//! text "<k" or "suppressed", never a number. Every
//! text cell goes through [`super::neutralise`]: a place name or file name
//! a partner typed as "=HYPERLINK(...)" arrives as text, not a formula.

use std::path::Path;

use chrono::{Datelike, NaiveDate, Timelike};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::{IndicatorRow, RunFacts, Scorecard, neutralise};
use crate::error::{Error, Result};
use crate::warehouse::IndicatorMeta;

/// Indian digit grouping: 1,23,45,678.
pub const INDIAN_NUMBER_FORMAT: &str = r"[>=10000000]##\,##\,##\,##0;[>=100000]##\,##\,##0;##,##0";
const DATE_FORMAT: &str = "dd-mmm-yyyy";

struct Formats {
    header: Format,
    grouped: Format,
    decimal: Format,
    date: Format,
    datetime: Format,
    wrap: Format,
}

/// A sheet being written, row by row.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    columns: u16,
    /// Per column: the widest cell so far, in characters, and the most
    /// the column may take before its text wraps.
    widths: Vec<(f64, f64)>,
}

/// Characters a cell of a number or date format takes.
const NUMBER_WIDTH: f64 = 12.0;

/// The height a row needs (in points) when some of its texts wrap in
/// columns `width` characters wide: neither Excel nor LibreOffice grows a
/// row for wrapped text written by a program, so a row left at one line
/// would show one line of a paragraph. `None` when every text fits one line.
pub(crate) fn wrapped_height<'a>(texts: impl IntoIterator<Item = (&'a str, f64)>) -> Option<f64> {
    let lines = texts
        .into_iter()
        .map(|(t, width)| (t.chars().count() as f64 / (width * 0.95).max(1.0)).ceil())
        .fold(1.0_f64, f64::max);
    (lines > 1.0).then_some(15.0 * lines + 2.0)
}

/// A cell of a row.
enum V<'a> {
    Text(&'a str),
    Num(Option<f64>, &'a Format),
    Date(Option<NaiveDate>),
    DateTime(Option<chrono::NaiveDateTime>),
}

impl<'a> Sheet<'a> {
    /// A sheet with its header row; each header's number is the widest its
    /// column may grow before its text wraps.
    fn new(
        ws: &'a mut Worksheet,
        name: &str,
        headers: &[(&str, f64)],
        f: &Formats,
    ) -> std::result::Result<Self, XlsxError> {
        ws.set_name(name)?;
        for (i, (h, _)) in headers.iter().enumerate() {
            ws.write_string_with_format(0, i as u16, *h, &f.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        // Paper: A4 landscape, one page wide, the header row on every page.
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(0, 0)?;
        ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
        ws.set_header(format!("&L&\"-,Bold\"{}&RTafteesh", name.replace('&', "&&")));
        ws.set_footer("&CPage &P of &N");
        Ok(Sheet {
            ws,
            row: 1,
            columns: headers.len() as u16,
            widths: headers
                .iter()
                .map(|(h, most)| (h.chars().count() as f64 + 2.0, *most))
                .collect(),
        })
    }

    fn push(&mut self, cells: &[V<'_>], f: &Formats) -> std::result::Result<(), XlsxError> {
        for (i, c) in cells.iter().enumerate() {
            let col = i as u16;
            let width = match c {
                V::Text(t) if !t.is_empty() => {
                    self.ws.write_string(self.row, col, neutralise(t))?;
                    t.chars().count() as f64
                }
                V::Num(Some(n), fmt) => {
                    self.ws.write_number_with_format(self.row, col, *n, fmt)?;
                    NUMBER_WIDTH
                }
                V::Date(Some(d)) => {
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    self.ws.write_datetime_with_format(self.row, col, &dt, &f.date)?;
                    NUMBER_WIDTH
                }
                V::DateTime(Some(t)) => {
                    use chrono::Timelike;
                    let dt = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        0,
                    )?;
                    self.ws.write_datetime_with_format(self.row, col, &dt, &f.datetime)?;
                    NUMBER_WIDTH + 6.0
                }
                _ => 0.0,
            };
            if let Some(w) = self.widths.get_mut(i) {
                w.0 = w.0.max(width + 2.0);
            }
        }
        // A text longer than its column's most wraps there: the row grows.
        let wrapped = cells.iter().zip(&self.widths).filter_map(|(c, (_, most))| match c {
            V::Text(t) => Some((*t, *most)),
            _ => None,
        });
        if let Some(h) = wrapped_height(wrapped) {
            self.ws.set_row_height(self.row, h)?;
        }
        self.row += 1;
        Ok(())
    }

    /// Filters on the header row, and each column as wide as its widest
    /// cell up to its most; a wider text wraps in its column.
    fn finish(self, f: &Formats) -> std::result::Result<(), XlsxError> {
        for (i, (widest, most)) in self.widths.iter().enumerate() {
            let col = i as u16;
            if widest > most {
                self.ws.set_column_width(col, *most)?;
                self.ws.set_column_format(col, &f.wrap)?;
            } else {
                self.ws.set_column_width(col, widest.max(6.0))?;
            }
        }
        self.ws
            .autofilter(0, 0, self.row.saturating_sub(1).max(1), self.columns - 1)?;
        Ok(())
    }
}

/// A text cell of the scorecard as a number when it is one (a
/// percentage always with one decimal, 100.0 beside 97.3), a date when it
/// is one, else text.
fn scorecard_cell<'a>(text: &'a str, percent: bool, f: &'a Formats) -> V<'a> {
    if let Ok(n) = text.parse::<f64>() {
        let fmt = if percent || n.fract() != 0.0 {
            &f.decimal
        } else {
            &f.grouped
        };
        return V::Num(Some(n), fmt);
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return V::Date(Some(d));
    }
    if text == "-" { V::Text("") } else { V::Text(text) }
}

/// A scorecard table as a sheet: name, headers with widths, rows, and the
/// column that stays text even when it looks like a number.
type ScorecardSheet<'a> = (&'a str, &'a [(&'a str, f64)], &'a [Vec<String>], Option<usize>);

/// The headers shared by the Indicators and Breakdowns sheets.
const FIGURE_HEADERS: [(&str, f64); 16] = [
    ("Indicator", 34.0),
    ("Period", 20.0),
    ("Period type", 14.0),
    ("Period start", 12.0),
    ("Period end", 12.0),
    ("Breakdown", 16.0),
    ("Group", 34.0),
    ("Value", 14.0),
    ("Shown as", 14.0),
    ("Unit", 7.0),
    ("Numerator", 12.0),
    ("Denominator", 12.0),
    ("95% CI low", 11.0),
    ("95% CI high", 11.0),
    ("Built from", 11.0),
    ("Note", 40.0),
];

/// How the Period type column names a period.
fn period_type(r: &IndicatorRow) -> &'static str {
    match r.period_type.as_str() {
        "year" if r.is_running_year() => "Financial year, to date",
        "year" => "Financial year",
        "quarter" => "Quarter",
        _ => "All time",
    }
}

fn figure_row<'a>(r: &'a IndicatorRow, f: &'a Formats, shown: &'a str, note: &'a str) -> Vec<V<'a>> {
    let value_fmt = match r.unit.as_str() {
        "%" | "days" => &f.decimal,
        _ => &f.grouped,
    };
    vec![
        V::Text(&r.title),
        V::Text(&r.period),
        V::Text(period_type(r)),
        V::Date(r.period_start),
        V::Date(r.period_end),
        V::Text(&r.dimension),
        V::Text(&r.label),
        V::Num(if r.suppressed { None } else { r.value }, value_fmt),
        V::Text(shown),
        V::Text(&r.unit),
        V::Num(r.numerator, &f.grouped),
        V::Num(r.denominator, &f.grouped),
        V::Num(r.ci_low, &f.decimal),
        V::Num(r.ci_high, &f.decimal),
        V::Num(r.cell_size, &f.grouped),
        V::Text(note),
    ]
}

/// Write the workbook: the dashboard's figures (`inputs`) and the block
/// sheet of `pending`, its words from `en`.
pub fn write(
    inputs: &super::dashboard::Inputs<'_>,
    pending: &[super::blocks::PendingRow],
    en: &super::lang::Lang,
    path: &Path,
) -> Result<()> {
    let (rows, catalogue, facts, scorecard, k) =
        (inputs.rows, inputs.catalogue, inputs.facts, inputs.scorecard, inputs.k);
    let x = |e: XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let f = Formats {
        header: Format::new().set_bold().set_background_color("EEF1F6").set_text_wrap(),
        grouped: Format::new().set_num_format(INDIAN_NUMBER_FORMAT),
        decimal: Format::new().set_num_format("0.0"),
        date: Format::new().set_num_format(DATE_FORMAT),
        datetime: Format::new().set_num_format("dd-mmm-yyyy hh:mm"),
        wrap: Format::new()
            .set_text_wrap()
            .set_align(rust_xlsxwriter::FormatAlign::Top),
    };
    let mut wb = Workbook::new();
    // The run's start, not this moment: a night's workbook and a full
    // rebuild's of the same inbox are then the same bytes.
    if let Some(properties) = dated_by_run(&facts.run_id) {
        wb.set_properties(&properties);
    }
    figure_sheets(&mut wb, rows, catalogue, k, &f).map_err(x)?;
    scorecard_sheets(&mut wb, scorecard, &f).map_err(x)?;
    block_sheet(&mut wb, pending, en, k, &f).map_err(x)?;
    definitions(&mut wb, catalogue, &f).map_err(x)?;
    exports(&mut wb, facts, &f).map_err(x)?;
    wb.save(path).map_err(x)
}

/// A workbook's properties dated by the run `run_id` started, instead of
/// the moment the file was written (rust_xlsxwriter's default). `None` if
/// the id is not a run's.
pub fn dated_by_run(run_id: &str) -> Option<DocProperties> {
    let at = crate::layout::created_at(run_id)?;
    let (d, t) = (at.date_naive(), at.time());
    let excel = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
        .and_then(|x| x.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
        .ok()?;
    Some(DocProperties::new().set_creation_datetime(&excel))
}

/// The figures: every consortium and partner figure ("Indicators"), every
/// breakdown, and the latest financial year that ran to 31 March on a
/// sheet of its own, in the dashboard's order (by the catalogue: theme,
/// then order; the rows of one indicator as the warehouse sorts them).
fn figure_sheets(
    wb: &mut Workbook,
    rows: &[IndicatorRow],
    catalogue: &[IndicatorMeta],
    k: u32,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    let position: std::collections::HashMap<&str, usize> =
        catalogue.iter().enumerate().map(|(i, m)| (m.id.as_str(), i)).collect();
    let mut rows: Vec<&IndicatorRow> = rows.iter().collect();
    rows.sort_by_key(|r| position.get(r.indicator_id.as_str()).copied().unwrap_or(usize::MAX));
    let latest_year = rows
        .iter()
        .filter(|r| r.period_type == "year" && !r.is_running_year())
        .map(|r| r.period.as_str())
        .max()
        .map(str::to_string);
    let year_sheet = latest_year.as_ref().map(|y| format!("Indicators {y}"));
    let sheets = [("Indicators", None), ("Breakdowns", None)]
        .into_iter()
        .chain(year_sheet.as_deref().map(|name| (name, latest_year.as_deref())));
    for (name, only) in sheets {
        let main = name != "Breakdowns";
        let mut headers = FIGURE_HEADERS.to_vec();
        if main {
            headers.push(("Sum over partners", 16.0));
            headers.push(("Target", 12.0));
        }
        let mut sheet = Sheet::new(wb.add_worksheet(), name, &headers, f)?;
        for r in rows.iter().filter(|r| {
            main == matches!(r.dimension.as_str(), "consortium" | "partner") && only.is_none_or(|p| r.period == p)
        }) {
            let shown = r.text(k);
            let note = r.why_hidden(k).unwrap_or_default();
            let mut cells = figure_row(r, f, &shown, &note);
            if main {
                let fmt = if r.unit == "%" { &f.decimal } else { &f.grouped };
                if r.naive_suppressed {
                    cells.push(V::Text("suppressed"));
                } else {
                    cells.push(V::Num(r.naive_value, fmt));
                }
                cells.push(V::Num(r.target, fmt));
            }
            sheet.push(&cells, f)?;
        }
        sheet.finish(f)?;
    }
    Ok(())
}

/// Entitlements pending more than 90 days, by block (see
/// [`super::blocks`]): the block sheet, with each block's total under its
/// rows (hidden when one of its counts is).
fn block_sheet(
    wb: &mut Workbook,
    pending: &[super::blocks::PendingRow],
    en: &super::lang::Lang,
    k: u32,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    let headers = [
        ("District", 20.0),
        ("Block", 20.0),
        ("Gram panchayat", 20.0),
        ("Owed by", 24.0),
        ("Entitlement", 30.0),
        ("Pending more than 90 days", 14.0),
    ];
    let mut sheet = Sheet::new(wb.add_worksheet(), "Pending by block", &headers, f)?;
    for ((district, block), (rows, total)) in super::blocks::by_block(pending, k) {
        for r in rows {
            let (authority, entitlement) = (en.value(&r.authority), en.value(&r.entitlement));
            let count = super::blocks::shown(r.pending, k);
            let count_cell = if count.starts_with('<') {
                V::Text(&count)
            } else {
                V::Num(Some(r.pending as f64), &f.grouped)
            };
            sheet.push(
                &[
                    V::Text(&district),
                    V::Text(&block),
                    V::Text(r.panchayat().unwrap_or("")),
                    V::Text(&authority),
                    V::Text(&entitlement),
                    count_cell,
                ],
                f,
            )?;
        }
        let total_cell = match total {
            Some(t) => V::Num(Some(t as f64), &f.grouped),
            None => V::Text("suppressed"),
        };
        sheet.push(
            &[
                V::Text(&district),
                V::Text(&block),
                V::Text("Total in the block"),
                V::Text(""),
                V::Text(""),
                total_cell,
            ],
            f,
        )?;
    }
    sheet.finish(f)
}

/// The scorecard's three tables; the shape stays text even when it looks
/// like a number.
fn scorecard_sheets(wb: &mut Workbook, scorecard: &Scorecard, f: &Formats) -> std::result::Result<(), XlsxError> {
    let sheets: [ScorecardSheet<'_>; 3] = [
        (
            "Data quality",
            &[
                ("Partner", 26.0),
                ("Table", 22.0),
                ("Records", 10.0),
                ("With no finding", 14.0),
                ("Accuracy %", 11.0),
                ("Newest record", 13.0),
                ("Days old at export", 16.0),
            ],
            &scorecard.tables,
            None,
        ),
        (
            "Fields to fix",
            &[
                ("Partner", 26.0),
                ("Table", 22.0),
                ("Field", 22.0),
                ("Completeness %", 14.0),
                ("Validity %", 11.0),
                ("Consistency %", 13.0),
                ("Uniqueness %", 13.0),
            ],
            &scorecard.fields,
            None,
        ),
        (
            "Unknown places",
            &[
                ("Partner", 26.0),
                ("Table", 22.0),
                ("Field", 18.0),
                ("Shape (spelling kept restricted)", 30.0),
                ("Records", 10.0),
            ],
            &scorecard.unknown_places,
            Some(3),
        ),
    ];
    for (name, headers, rows, text_col) in sheets {
        let mut sheet = Sheet::new(wb.add_worksheet(), name, headers, f)?;
        for r in rows {
            let cells: Vec<V<'_>> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if Some(i) == text_col {
                        V::Text(c)
                    } else {
                        scorecard_cell(c, headers[i].0.ends_with('%'), f)
                    }
                })
                .collect();
            sheet.push(&cells, f)?;
        }
        sheet.finish(f)?;
    }
    Ok(())
}

/// Each indicator's definition, as the catalogue holds it.
fn definitions(wb: &mut Workbook, catalogue: &[IndicatorMeta], f: &Formats) -> std::result::Result<(), XlsxError> {
    let mut defs = Sheet::new(
        wb.add_worksheet(),
        "Definitions",
        &[
            ("Indicator id", 30.0),
            ("Theme", 18.0),
            ("Title", 30.0),
            ("Definition", 80.0),
            ("Numerator", 30.0),
            ("Denominator", 30.0),
            ("Unit", 7.0),
            ("Better", 8.0),
            ("Source", 30.0),
            ("Counted by", 20.0),
            ("Breakdowns", 40.0),
            ("Targets", 24.0),
        ],
        f,
    )?;
    for m in catalogue {
        let dims = m.dimensions.join(", ");
        let targets = m
            .targets
            .iter()
            .map(|(p, t)| format!("{p}: {t}"))
            .collect::<Vec<_>>()
            .join("; ");
        defs.push(
            &[
                V::Text(&m.id),
                V::Text(&m.theme),
                V::Text(&m.title),
                V::Text(&m.definition),
                V::Text(&m.numerator),
                V::Text(m.denominator.as_deref().unwrap_or_default()),
                V::Text(&m.unit),
                V::Text(&m.better),
                V::Text(&m.source),
                V::Text(&m.period_by),
                V::Text(&dims),
                V::Text(&targets),
            ],
            f,
        )?;
    }
    defs.finish(f)
}

/// The exports the figures were built from, by alias.
fn exports(wb: &mut Workbook, facts: &RunFacts, f: &Formats) -> std::result::Result<(), XlsxError> {
    let mut exports = Sheet::new(
        wb.add_worksheet(),
        "Exports",
        &[
            ("Partner", 26.0),
            ("Export file", 60.0),
            ("Exported (IST)", 20.0),
            ("Rows read", 10.0),
        ],
        f,
    )?;
    for e in &facts.exports {
        exports.push(
            &[
                V::Text(&e.partner),
                V::Text(&e.file),
                V::DateTime(e.exported),
                V::Num(Some(e.rows_read as f64), &f.grouped),
            ],
            f,
        )?;
    }
    exports.finish(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scorecard_text_becomes_numbers_and_dates() {
        let f = Formats {
            header: Format::new(),
            grouped: Format::new(),
            decimal: Format::new(),
            date: Format::new(),
            datetime: Format::new(),
            wrap: Format::new(),
        };
        assert!(matches!(scorecard_cell("1234", false, &f), V::Num(Some(n), _) if n == 1234.0));
        assert!(matches!(scorecard_cell("2024-03-31", false, &f), V::Date(Some(_))));
        assert!(matches!(scorecard_cell("-", false, &f), V::Text("")));
        assert!(matches!(scorecard_cell("Nadia", false, &f), V::Text("Nadia")));
        // A percentage has one format, 100 as 100.0 beside 97.3.
        let decimal = |v: &V<'_>| matches!(v, V::Num(_, fmt) if std::ptr::eq(*fmt, &f.decimal));
        assert!(decimal(&scorecard_cell("100", true, &f)) && decimal(&scorecard_cell("97.3", true, &f)));
        assert!(
            !decimal(&scorecard_cell("100", false, &f)),
            "a count keeps its grouping"
        );
    }

    #[test]
    fn text_a_partner_wrote_cannot_become_a_formula() {
        use calamine::{Data, Reader};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.xlsx");
        let scorecard = Scorecard {
            unknown_places: vec![vec![
                "p1".into(),
                "cases".into(),
                "district".into(),
                "=HYPERLINK(\"http://example.invalid\",\"x\")".into(),
                "3".into(),
            ]],
            ..Default::default()
        };
        let facts = RunFacts {
            run_id: "r".into(),
            version: "v".into(),
            as_of: "2026-01-01".into(),
            finished_at: String::new(),
            files_read: 1,
            files_failed: 0,
            rows_read: 1,
            rows_kept: vec![],
            rows_quarantined: 0,
            duplicates_removed: 0,
            exports: vec![super::super::ExportFact {
                partner: "@partner".into(),
                file: "+cmd|' /C calc'!A0.csv".into(),
                modified: "-1".into(),
                exported: None,
                rows_read: 1,
            }],
        };
        let en = &crate::report::lang::Lang::all(false).unwrap()[0];
        let inputs = crate::report::dashboard::Inputs {
            rows: &[],
            catalogue: &[],
            runs: &[],
            facts: &facts,
            scorecard: &scorecard,
            k: 5,
        };
        write(&inputs, &[], en, &path).unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        for sheet in ["Unknown places", "Exports"] {
            let formulas = wb.worksheet_formula(sheet).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{sheet} holds a formula"
            );
        }
        let places = wb.worksheet_range("Unknown places").unwrap();
        assert_eq!(
            places.get((1, 3)),
            Some(&Data::String("'=HYPERLINK(\"http://example.invalid\",\"x\")".into()))
        );
        assert_eq!(places.get((1, 4)), Some(&Data::Float(3.0)));
        let exports = wb.worksheet_range("Exports").unwrap();
        for c in 0..2 {
            let text = exports.get((1, c)).unwrap().to_string();
            assert!(text.starts_with('\''), "{text}");
        }
    }
}
