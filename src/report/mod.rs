//! Reports for people who do not open a terminal: an HTML dashboard
//! (`dashboard`), an Excel workbook (`workbook`), the indicator table as
//! CSV, and the codebook for the research team (`codebook`).
//!
//! Reports read only the warehouse's aggregate tables, and of the indicator
//! values only `indicator_values_published`, where small cells are already
//! blanked (src/suppress.rs). They never see a token, let alone a name.
//! Text that a partner wrote (file names, the shapes of unknown places) is
//! neutralised before it reaches a spreadsheet cell, so an export cannot
//! smuggle a formula into a workbook or a CSV opened in Excel.

pub mod blocks;
pub mod charts;
pub mod codebook;
pub mod dashboard;
pub mod lang;
pub mod workbook;

use std::path::Path;

use chrono::Datelike;
use serde::Serialize;
use tafteesh_parsers::amounts::indian_grouping;

use crate::error::{Error, Result};

/// One published figure: a row of `indicator_values_published`, with its
/// catalogue entry and the period's dates.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub indicator_id: String,
    pub title: String,
    pub unit: String,
    pub period: String,
    /// "year", "quarter" or "all".
    pub period_type: String,
    pub period_start: Option<chrono::NaiveDate>,
    pub period_end: Option<chrono::NaiveDate>,
    /// "consortium" (linked entities), "partner", or a breakdown
    /// ("district", "police_district", "ahtu_unit", "investigated_by", "sex",
    /// "age_at_rescue", "trafficking_form").
    pub dimension: String,
    /// "all" for the consortium, the partner_id for a partner, else the
    /// breakdown's value.
    pub dimension_value: String,
    /// What a reader sees for the row: the partner's name, "Consortium (linked)", the value.
    pub label: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// A rate's 95% Wilson score interval, in percent.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Cases, claims, people or records the figure is built from.
    pub cell_size: Option<f64>,
    pub suppressed: bool,
    /// "small_cell" or "complementary".
    pub suppression_reason: Option<String>,
    /// Consortium rows: the sum over partners, double counting included.
    pub naive_numerator: Option<f64>,
    pub naive_denominator: Option<f64>,
    pub naive_value: Option<f64>,
    pub naive_suppressed: bool,
    /// The target the programme set for this period, if any.
    pub target: Option<f64>,
}

impl IndicatorRow {
    /// The value as the reports print it, "<k" or "suppressed" when hidden.
    pub fn text(&self, k: u32) -> String {
        shown(
            &self.unit,
            self.value,
            self.suppressed,
            self.suppression_reason.as_deref(),
            k,
        )
    }

    /// Why a hidden figure is not shown, in words for the reader.
    pub fn why_hidden(&self, k: u32) -> Option<String> {
        self.suppressed.then(|| match self.suppression_reason.as_deref() {
            Some(crate::suppress::PRIMARY) => format!("built from fewer than {k}: not shown"),
            _ => "hidden so that another small figure cannot be worked out".into(),
        })
    }

    /// A financial year still running at the as-of date (it ends before 31 March).
    pub fn is_running_year(&self) -> bool {
        self.period_type == "year" && self.period_end.is_some_and(|d| !(d.month() == 3 && d.day() == 31))
    }
}

/// How a figure reads: its value, or why it is not shown.
pub fn shown(unit: &str, value: Option<f64>, suppressed: bool, reason: Option<&str>, k: u32) -> String {
    match (suppressed, reason) {
        (true, Some(crate::suppress::PRIMARY)) if unit == "count" => format!("<{k}"),
        (true, _) => "suppressed".into(),
        (false, _) => display(unit, value),
    }
}

/// Read every published figure of a built warehouse.
pub fn read_indicators(conn: &duckdb::Connection) -> Result<Vec<IndicatorRow>> {
    let err = || Error::warehouse("reading indicator_values_published");
    let mut stmt = conn
        .prepare(
            "select v.indicator_id, i.title, v.unit, v.period, coalesce(d.period_type, 'all'),
                 case when d.period_type <> 'all' then d.period_start::varchar end, d.period_end::varchar, v.dimension, v.dimension_value,
                 case when v.dimension = 'consortium' then 'Consortium (linked)'
                      when v.dimension = 'partner' then coalesce(p.partner_name, v.dimension_value)
                      else v.dimension_value end,
                 v.numerator, v.denominator, v.value, v.ci_low, v.ci_high, v.cell_size,
                 v.suppressed, v.suppression_reason,
                 v.naive_numerator, v.naive_denominator, v.naive_value, v.naive_suppressed, t.target
             from indicator_values_published v
             join indicators i using (indicator_id)
             left join dim_periods d using (period)
             left join dim_partners p on v.dimension = 'partner' and p.partner_id = v.dimension_value
             left join indicator_targets t using (indicator_id, period)
             order by v.indicator_id, v.period = 'All time' desc, v.period desc,
                      v.dimension = 'consortium' desc, v.dimension, v.dimension_value",
        )
        .map_err(err())?;
    let rows = stmt
        .query_map([], |r| {
            Ok(IndicatorRow {
                indicator_id: r.get(0)?,
                title: r.get(1)?,
                unit: r.get(2)?,
                period: r.get(3)?,
                period_type: r.get(4)?,
                period_start: date(r.get(5)?),
                period_end: date(r.get(6)?),
                dimension: r.get(7)?,
                dimension_value: r.get(8)?,
                label: r.get(9)?,
                numerator: r.get(10)?,
                denominator: r.get(11)?,
                value: r.get(12)?,
                ci_low: r.get(13)?,
                ci_high: r.get(14)?,
                cell_size: r.get(15)?,
                suppressed: r.get(16)?,
                suppression_reason: r.get(17)?,
                naive_numerator: r.get(18)?,
                naive_denominator: r.get(19)?,
                naive_value: r.get(20)?,
                naive_suppressed: r.get(21)?,
                target: r.get(22)?,
            })
        })
        .map_err(err())?;
    rows.collect::<std::result::Result<Vec<_>, _>>().map_err(err())
}

/// A date DuckDB gave as text.
fn date(text: Option<String>) -> Option<chrono::NaiveDate> {
    text.and_then(|t| chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
}

/// A consortium figure (All time) as each published run saw it.
#[derive(Debug, Clone, Serialize)]
pub struct RunPoint {
    pub indicator_id: String,
    pub run_id: String,
    pub as_of: String,
    pub value: Option<f64>,
    pub suppressed: bool,
}

/// The consortium's All-time figures across runs, oldest first, from
/// `indicator_history` (suppressed ones blanked, as each run published them).
pub fn read_run_trend(conn: &duckdb::Connection) -> Result<Vec<RunPoint>> {
    let err = || Error::warehouse("reading indicator_history");
    let mut stmt = conn
        .prepare(
            "select indicator_id, run_id, as_of::varchar, case when not suppressed then value end, suppressed
             from indicator_history
             where dimension = 'consortium' and period = 'All time'
             order by indicator_id, run_id",
        )
        .map_err(err())?;
    let rows = stmt
        .query_map([], |r| {
            Ok(RunPoint {
                indicator_id: r.get(0)?,
                run_id: r.get(1)?,
                as_of: r.get(2)?,
                value: r.get(3)?,
                suppressed: r.get(4)?,
            })
        })
        .map_err(err())?;
    rows.collect::<std::result::Result<Vec<_>, _>>().map_err(err())
}

/// Text a partner could have written, made safe for a spreadsheet cell: a
/// leading =, +, -, @ (or tab, carriage return) would make Excel or
/// LibreOffice read it as a formula, so it gets a leading apostrophe. Text
/// longer than a cell holds (Excel's 32,767 characters) is cut, saying so:
/// cleaning quarantines such rows, so only a derived text could be that
/// long, and it must not fail a night's workbook.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    const CUT: &str = " ... (cut)";
    const CELL_CHARS: usize = crate::clean::CELL_CHARS;
    let text: std::borrow::Cow<'_, str> = if text.len() > CELL_CHARS && text.chars().count() > CELL_CHARS {
        let kept: String = text.chars().take(CELL_CHARS - 1 - CUT.len()).collect();
        format!("{kept}{CUT}").into()
    } else {
        text.into()
    };
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text
    }
}

/// Write the published indicator table as CSV.
pub fn write_csv(rows: &[IndicatorRow], k: u32, path: &Path) -> Result<()> {
    let io = |e: csv::Error| Error::io(path)(e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record([
        "indicator_id",
        "title",
        "unit",
        "period",
        "period_start",
        "period_end",
        "dimension",
        "dimension_value",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "cell_size",
        "shown_as",
        "suppressed",
        "suppression_reason",
        "naive_numerator",
        "naive_denominator",
        "naive_value",
        "naive_suppressed",
        "target",
    ])
    .map_err(io)?;
    let num = |x: Option<f64>| {
        x.map(|v| format!("{}", (v * 100.0).round() / 100.0))
            .unwrap_or_default()
    };
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.indicator_id.as_str(),
            &r.title,
            &r.unit,
            &r.period,
            &date(r.period_start),
            &date(r.period_end),
            &r.dimension,
            &neutralise(&r.dimension_value),
            &num(r.numerator),
            &num(r.denominator),
            &num(r.value),
            &num(r.ci_low),
            &num(r.ci_high),
            &num(r.cell_size),
            &r.text(k),
            if r.suppressed { "true" } else { "false" },
            r.suppression_reason.as_deref().unwrap_or_default(),
            &num(r.naive_numerator),
            &num(r.naive_denominator),
            &num(r.naive_value),
            if r.naive_suppressed { "true" } else { "false" },
            &num(r.target),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(Error::io(path))
}

/// The files every run writes to `reports/` (named by the layout).
pub use crate::layout::reports::{BLOCKS, CODEBOOK, CSV, DASHBOARD, DASHBOARD_BN, LINKAGE, WORKBOOK};

/// Write every report of a built warehouse into `dir`; returns the number
/// of figures published.
pub fn write_all(
    conn: &duckdb::Connection,
    dir: &Path,
    model: &crate::config::Model,
    project: &crate::warehouse::Project,
    facts: &RunFacts,
    k: u32,
    bengali_digits: bool,
) -> Result<usize> {
    let catalogue: Vec<crate::warehouse::IndicatorMeta> = project.indicators().cloned().collect();
    let rows = read_indicators(conn)?;
    let runs = read_run_trend(conn)?;
    let scorecard = read_scorecard(conn)?;
    write_csv(&rows, k, &dir.join(CSV))?;
    let inputs = dashboard::Inputs {
        rows: &rows,
        catalogue: &catalogue,
        runs: &runs,
        facts,
        scorecard: &scorecard,
        k,
    };
    dashboard::write(&inputs, dir, bengali_digits)?;
    let pending = blocks::read(conn)?;
    // The block page and sheet name entitlements and offices in words
    // (Western digits: the page prints both languages side by side).
    let langs = lang::Lang::all(false)?;
    blocks::write_html(&pending, &facts.as_of, k, &langs[0], &langs[1], &dir.join(BLOCKS))?;
    workbook::write(&inputs, &pending, &langs[0], &dir.join(WORKBOOK))?;
    codebook::write(model, project, k, &read_columns(conn, project)?, &dir.join(CODEBOOK))?;
    Ok(rows.len())
}

/// How a value reads in the reports.
pub fn display(unit: &str, value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(v) => match unit {
            "%" => format!("{v:.1}%"),
            "days" => format!("{} days", indian_grouping(v.round() as i64)),
            "INR" => format!("₹{}", indian_grouping(v.round() as i64)),
            _ => indian_grouping(v.round() as i64),
        },
    }
}

/// A moment in India Standard Time, as the reader's clock shows it.
pub fn ist(t: chrono::DateTime<chrono::Utc>) -> String {
    // Numbers only: the same on the English and the Bengali page.
    ist_clock(t).format("%Y-%m-%d %H:%M IST").to_string()
}

/// A moment as a clock in India reads it.
pub fn ist_clock(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    let india = chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap_or_else(|| unreachable!("+05:30 is an offset"));
    t.with_timezone(&india).naive_local()
}

/// Facts about the run shown at the top of the page.
#[derive(Debug, Clone, Serialize)]
pub struct RunFacts {
    pub run_id: String,
    pub version: String,
    /// The date the figures are as of.
    pub as_of: String,
    pub finished_at: String,
    pub files_read: usize,
    pub files_failed: usize,
    pub rows_read: usize,
    pub rows_kept: Vec<(String, usize)>,
    pub rows_quarantined: usize,
    pub duplicates_removed: usize,
    pub exports: Vec<ExportFact>,
}

/// One export file the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct ExportFact {
    pub partner: String,
    pub file: String,
    /// When the partner exported it (the time in the file, else its
    /// modification time), as the dashboard reads it (IST).
    pub modified: String,
    /// The same moment on an Indian clock, for the workbook's date cells.
    pub exported: Option<chrono::NaiveDateTime>,
    pub rows_read: usize,
}

/// The MIS accuracy scorecard as the report shows it: every cell as text.
#[derive(Debug, Default, Serialize)]
pub struct Scorecard {
    /// partner, table, records, clean records, accuracy %, newest record, timeliness (days).
    pub tables: Vec<Vec<String>>,
    /// partner, table, field, completeness %, validity %, consistency %, uniqueness %:
    /// the fields with any validity, consistency or uniqueness finding, worst first.
    pub fields: Vec<Vec<String>>,
    /// partner, table, field, shape of the spelling, records: the place names
    /// the gazetteer lacks, most used first.
    pub unknown_places: Vec<Vec<String>>,
}

/// The warehouse's tables and their columns with types, in order.
fn read_columns(conn: &duckdb::Connection, project: &crate::warehouse::Project) -> Result<codebook::Columns> {
    let mut out = codebook::Columns::new();
    for (t, c, ty) in crate::warehouse::build::table_columns(conn, project)? {
        out.entry(t).or_default().push((c, ty));
    }
    Ok(out)
}

/// Read the scorecard marts.
pub fn read_scorecard(conn: &duckdb::Connection) -> Result<Scorecard> {
    let text_rows = |sql: &str| -> Result<Vec<Vec<String>>> {
        let mut stmt = conn.prepare(sql).map_err(Error::warehouse("reading the scorecard"))?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, Option<String>>(i).map(|v| v.unwrap_or_else(|| "-".into())))
                    .collect()
            })
            .map_err(Error::warehouse("reading the scorecard"))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(Error::warehouse("reading the scorecard"))
    };
    Ok(Scorecard {
        tables: text_rows(
            "select coalesce(p.partner_name, s.partner_id), replace(s.table_name, '_', ' '), s.records::varchar,
                    s.clean_records::varchar, s.accuracy_pct::varchar, s.newest_record_date::varchar,
                    s.timeliness_days::varchar
             from fct_dq_table_scores s left join dim_partners p using (partner_id)
             order by s.accuracy_pct, 1, 2",
        )?,
        fields: text_rows(
            "select coalesce(p.partner_name, f.partner_id), replace(f.table_name, '_', ' '), f.field,
                    f.completeness_pct::varchar, f.validity_pct::varchar, f.consistency_pct::varchar,
                    f.uniqueness_pct::varchar
             from fct_dq_field_scores f left join dim_partners p using (partner_id)
             where f.invalid + f.inconsistent + f.duplicate > 0
             order by least(coalesce(f.validity_pct, 100), f.consistency_pct, f.uniqueness_pct), 1, 2, 3
             limit 40",
        )?,
        unknown_places: text_rows(
            "select coalesce(p.partner_name, u.partner_id), replace(u.table_name, '_', ' '), u.field, u.shape,
                    u.records::varchar
             from fct_dq_unknown_places u left join dim_partners p using (partner_id)
             order by u.records desc, 1, 2, 3, 4
             limit 60",
        )?,
    })
}
