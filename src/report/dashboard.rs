//! The HTML dashboard: one self-contained file, emailed and opened offline.
//! No script, no web font, no network: styles are inline and charts are
//! SVG drawn here, so what the reader sees is what was rendered.
//!
//! It shows, per indicator: a headline card (the latest financial year's
//! consortium figure with its interval, denominator and target status),
//! the trend across financial years and across runs, and the breakdowns
//! by partner and by district; then what was suppressed and why, the MIS
//! accuracy scorecard, and which exports the figures come from.

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use tafteesh_parsers::amounts::indian_grouping;

use super::charts::{HIDDEN, Point, bar_chart, line_chart};
use super::{IndicatorRow, RunFacts, RunPoint, Scorecard, display, short};
use crate::error::{Error, Result};
use crate::period::ALL_TIME;
use crate::warehouse::IndicatorMeta;

/// Everything the page is made from.
pub struct Inputs<'a> {
    pub rows: &'a [IndicatorRow],
    pub catalogue: &'a [IndicatorMeta],
    pub runs: &'a [RunPoint],
    pub facts: &'a RunFacts,
    pub scorecard: &'a Scorecard,
    pub k: u32,
}

#[derive(Serialize)]
struct Card {
    id: String,
    theme: String,
    title: String,
    period: String,
    /// The date that places a record in the period ("award date"): two
    /// cards that count by different dates need not add up.
    counted_by: String,
    text: String,
    detail: String,
    /// "met", "not met" or "" (no target for the period).
    target: String,
    target_text: String,
    /// "▲ 2.1 points since 2024-25", or "" without two years to compare.
    change: String,
    /// "better", "worse" or "same", as the indicator's direction says.
    change_class: String,
}

#[derive(Serialize)]
struct Cell {
    text: String,
    detail: String,
}

#[derive(Serialize, Default)]
struct Grid {
    columns: Vec<String>,
    rows: Vec<(String, Vec<Cell>)>,
}

#[derive(Serialize)]
struct Section {
    id: String,
    theme: String,
    title: String,
    definition: String,
    numerator: String,
    denominator: String,
    source: String,
    unit: String,
    better: String,
    /// SVG, handed to the template as safe markup, not serialised.
    #[serde(skip)]
    years_chart: String,
    #[serde(skip)]
    runs_chart: String,
    /// The chart's values as a table (period, figure): what a phone shows
    /// instead of the chart, and what a reader can copy.
    years: Vec<(String, String)>,
    by_partner: Grid,
    by_district: Grid,
    /// Cases an AHTU investigated against those left with the local police
    /// (the AHTU engagement study's comparison); empty for other indicators.
    by_agency: Grid,
    hidden_primary: usize,
    hidden_secondary: usize,
}

/// How a figure reads on the dashboard: the hidden symbol for any figure
/// not shown (one symbol, explained once under each table), else its value
/// with rupees in lakh or crore.
fn figure(r: &IndicatorRow) -> String {
    if r.suppressed {
        HIDDEN.into()
    } else {
        short(&r.unit, r.value)
    }
}

/// The detail line under a figure: "n / d; 95% CI lo–hi%", "n claims"
/// (with the exact rupees where the figure is shortened), "median of n";
/// nothing for a hidden figure.
fn detail(r: &IndicatorRow) -> String {
    if r.suppressed {
        return String::new();
    }
    match (r.unit.as_str(), r.numerator, r.denominator) {
        ("%", Some(n), Some(d)) => {
            let ratio = format!("{} / {}", indian_grouping(n as i64), indian_grouping(d as i64));
            match r.ci_low.zip(r.ci_high) {
                Some((lo, hi)) => format!("{ratio}; 95% CI {lo:.1}–{hi:.1}%"),
                None => ratio,
            }
        }
        ("days", _, _) => r
            .cell_size
            .map(|n| format!("median of {}", indian_grouping(n as i64)))
            .unwrap_or_default(),
        ("INR", _, _) => {
            let exact = display("INR", r.value);
            let claims = r.cell_size.map(|n| format!("{} claims", indian_grouping(n as i64)));
            match (short("INR", r.value) != exact, claims) {
                (true, Some(c)) => format!("{exact}; {c}"),
                (true, None) => exact,
                (false, c) => c.unwrap_or_default(),
            }
        }
        _ => String::new(),
    }
}

/// A table cell for a figure, or a dash where there is none.
fn cell(r: Option<&IndicatorRow>) -> Cell {
    match r {
        Some(r) => Cell {
            text: figure(r),
            detail: detail(r),
        },
        None => Cell {
            text: "–".into(),
            detail: String::new(),
        },
    }
}

/// The sum over partners beside a consortium figure. Hidden with it when
/// the consortium figure is hidden: "§" beside a published sum of 7 only
/// puzzles a reader, and the sum says nothing without the figure it is
/// compared with.
fn naive_cell(r: &IndicatorRow) -> Cell {
    if r.suppressed || r.naive_suppressed {
        return Cell {
            text: HIDDEN.into(),
            detail: String::new(),
        };
    }
    Cell {
        text: short(&r.unit, r.naive_value),
        detail: match (r.unit.as_str(), r.naive_numerator, r.naive_denominator) {
            ("%", Some(n), Some(d)) => format!("{} / {}", indian_grouping(n as i64), indian_grouping(d as i64)),
            _ => String::new(),
        },
    }
}

/// Whether the figure meets the period's target.
fn target_status(meta: &IndicatorMeta, r: &IndicatorRow) -> (String, String) {
    match (r.target, r.value) {
        (Some(t), Some(v)) if !r.suppressed => {
            let met = if meta.better == "lower" { v <= t } else { v >= t };
            (
                if met { "met" } else { "not met" }.into(),
                format!("target {}", short(&r.unit, Some(t))),
            )
        }
        (Some(t), _) => ("".into(), format!("target {}", short(&r.unit, Some(t)))),
        _ => ("".into(), String::new()),
    }
}

/// The change from the year before, with an arrow, and whether it went the
/// better way: ("▲ 2.1 points since 2024-25", "better"). Empty when either
/// year is hidden or missing.
fn change(meta: &IndicatorMeta, now: &IndicatorRow, before: Option<&IndicatorRow>) -> (String, String) {
    let Some(before) = before.filter(|b| !b.suppressed && !now.suppressed) else {
        return (String::new(), String::new());
    };
    let (Some(a), Some(b)) = (now.value, before.value) else {
        return (String::new(), String::new());
    };
    let d = a - b;
    let since = crate::period::short(&before.period);
    let amount = match now.unit.as_str() {
        "%" => format!("{:.1} points", d.abs()),
        unit => short(unit, Some(d.abs())),
    };
    if amount == short(&now.unit, Some(0.0)) || amount == "0.0 points" {
        return (format!("no change since {since}"), "same".into());
    }
    let up = d > 0.0;
    let better = up == (meta.better != "lower");
    (
        format!("{} {amount} since {since}", if up { "▲" } else { "▼" }),
        if better { "better" } else { "worse" }.into(),
    )
}

/// "award_date" as a reader says it: "award date"; "fir_date": "FIR date".
fn counted_by(period_by: &str) -> String {
    match period_by {
        "the run" => "as of this run".into(),
        p => format!(
            "by {}",
            p.replace('_', " ")
                .replace("fir ", "FIR ")
                .replace("ahtu ", "AHTU ")
                .replace("cid ", "CID ")
        ),
    }
}

/// Partners down (the consortium and the sum over partners first), All
/// time and the latest financial years across: long partner names read
/// in one line down the side, not wrapped into tall headers.
fn by_partner(mine: &[&IndicatorRow]) -> Grid {
    let mut partners: Vec<(String, String)> = mine
        .iter()
        .filter(|r| r.dimension == "partner")
        .map(|r| (r.label.clone(), r.dimension_value.clone()))
        .collect();
    partners.sort();
    partners.dedup();
    let mut periods = periods(mine);
    periods.truncate(PERIODS_SHOWN);
    let find = |p: &str, dim: &str, value: &str| {
        mine.iter()
            .copied()
            .find(|r| r.period == p && r.dimension == dim && r.dimension_value == value)
    };
    let consortium = |p: &str| find(p, "consortium", "all");
    let mut rows = vec![
        (
            "Consortium (linked)".to_string(),
            periods.iter().map(|p| cell(consortium(p))).collect(),
        ),
        (
            "Sum over partners (double counted)".to_string(),
            periods
                .iter()
                .map(|p| consortium(p).map_or_else(|| cell(None), naive_cell))
                .collect(),
        ),
    ];
    rows.extend(partners.iter().map(|(label, id)| {
        (
            label.clone(),
            periods.iter().map(|p| cell(find(p, "partner", id))).collect(),
        )
    }));
    Grid {
        columns: periods.iter().map(|p| to_date(p, mine)).collect(),
        rows,
    }
}

/// All time and this many financial years in the tables (the chart and the
/// workbook have every year).
const PERIODS_SHOWN: usize = 4;

/// Districts down, the latest financial years and All time across.
fn by_district(mine: &[&IndicatorRow]) -> Grid {
    by_breakdown(mine, "district", |d| d.to_string())
}

/// Who investigated a case down (AHTU, local police, CID, other), the
/// latest financial years and All time across.
fn by_agency(mine: &[&IndicatorRow]) -> Grid {
    let label = |v: &str| {
        match v {
            "ahtu" => "AHTU",
            "local_police" => "Local police",
            "cid" => "CID",
            "other" => "Other agency",
            v => v,
        }
        .to_string()
    };
    by_breakdown(mine, "investigated_by", label)
}

/// One breakdown's values down ('unknown' last), the latest financial
/// years and All time across.
fn by_breakdown(mine: &[&IndicatorRow], dimension: &str, label: impl Fn(&str) -> String) -> Grid {
    let mut periods = periods(mine);
    // All time and the latest years keep the table readable.
    periods.truncate(PERIODS_SHOWN);
    let mut values: Vec<String> = mine
        .iter()
        .filter(|r| r.dimension == dimension)
        .map(|r| r.dimension_value.clone())
        .collect();
    values.sort_by_key(|d| (d == "unknown", d.clone()));
    values.dedup();
    let rows = values
        .into_iter()
        .map(|d| {
            let cells = periods
                .iter()
                .map(|p| {
                    let r = mine
                        .iter()
                        .copied()
                        .find(|r| &r.period == p && r.dimension == dimension && r.dimension_value == d);
                    cell(r)
                })
                .collect();
            (label(&d), cells)
        })
        .collect();
    Grid {
        columns: periods.iter().map(|p| to_date(p, mine)).collect(),
        rows,
    }
}

/// A period as the reader sees it: a financial year still running reads
/// "FY 2026-27 (to date)", so a part year is not compared with whole ones.
fn to_date(period: &str, mine: &[&IndicatorRow]) -> String {
    if mine.iter().any(|r| r.period == period && r.is_running_year()) {
        format!("{period} (to date)")
    } else {
        period.to_string()
    }
}

/// All time first, then financial years, newest first (no quarters).
fn periods(mine: &[&IndicatorRow]) -> Vec<String> {
    let mut periods: Vec<String> = mine
        .iter()
        .filter(|r| r.period_type != "quarter")
        .map(|r| r.period.clone())
        .collect();
    periods.sort_by(|a, b| (b == ALL_TIME).cmp(&(a == ALL_TIME)).then(b.cmp(a)));
    periods.dedup();
    periods
}

/// Write the dashboard.
pub fn write(inputs: &Inputs<'_>, path: &Path) -> Result<()> {
    let k = inputs.k;
    let mut cards = Vec::new();
    let mut sections = Vec::new();
    for meta in inputs.catalogue {
        let mine: Vec<&IndicatorRow> = inputs.rows.iter().filter(|r| r.indicator_id == meta.id).collect();
        let consortium: Vec<&IndicatorRow> = mine.iter().copied().filter(|r| r.dimension == "consortium").collect();
        // The card: the latest complete financial year (one that ran to
        // 31 March before the as-of date) with a consortium figure, else All time.
        let latest = consortium
            .iter()
            .filter(|r| r.period_type == "year" && !r.is_running_year())
            .max_by(|a, b| a.period.cmp(&b.period))
            .or_else(|| consortium.iter().find(|r| r.period == ALL_TIME));
        if let Some(r) = latest {
            let (target, target_text) = target_status(meta, r);
            let before = consortium
                .iter()
                .copied()
                .filter(|b| b.period_type == "year" && b.period < r.period)
                .max_by(|a, b| a.period.cmp(&b.period));
            let (change, change_class) = if r.period_type == "year" {
                change(meta, r, before)
            } else {
                (String::new(), String::new())
            };
            cards.push(Card {
                id: meta.id.clone(),
                theme: meta.theme.clone(),
                title: meta.title.clone(),
                period: r.period.clone(),
                counted_by: counted_by(&meta.period_by),
                text: figure(r),
                detail: detail(r),
                target,
                target_text,
                change,
                change_class,
            });
        }
        let mut years: Vec<&&IndicatorRow> = consortium.iter().filter(|r| r.period_type == "year").collect();
        years.sort_by(|a, b| a.period.cmp(&b.period));
        let year_points: Vec<Point> = years
            .iter()
            .map(|r| Point {
                label: to_date(&r.period, &consortium),
                value: if r.suppressed { None } else { r.value },
                interval: r.ci_low.zip(r.ci_high),
                target: r.target,
                text: figure(r),
            })
            .collect();
        let run_points: Vec<Point> = inputs
            .runs
            .iter()
            .filter(|p| p.indicator_id == meta.id)
            .map(|p| Point {
                label: p.as_of.clone(),
                value: if p.suppressed { None } else { p.value },
                interval: None,
                target: None,
                text: if p.suppressed {
                    HIDDEN.into()
                } else {
                    short(&meta.unit, p.value)
                },
            })
            .collect();
        let hidden = |reason: &str| {
            mine.iter()
                .filter(|r| r.suppression_reason.as_deref() == Some(reason))
                .count()
        };
        sections.push(Section {
            id: meta.id.clone(),
            theme: meta.theme.clone(),
            title: meta.title.clone(),
            definition: meta.definition.clone(),
            numerator: meta.numerator.clone(),
            denominator: meta.denominator.clone().unwrap_or_default(),
            source: meta.source.clone(),
            unit: meta.unit.clone(),
            better: meta.better.clone(),
            years_chart: bar_chart(&year_points, &meta.unit, &format!("{} by financial year", meta.title)),
            runs_chart: line_chart(&run_points, &meta.unit, &format!("{}, all time, by run", meta.title)),
            years: year_points
                .iter()
                .map(|p| (p.label.clone(), p.text.clone()))
                .rev()
                .collect(),
            by_partner: by_partner(&mine),
            by_district: by_district(&mine),
            by_agency: if meta.dashboard_breakdowns.iter().any(|d| d == "investigated_by") {
                by_agency(&mine)
            } else {
                Grid::default()
            },
            hidden_primary: hidden(crate::suppress::PRIMARY),
            hidden_secondary: hidden(crate::suppress::SECONDARY),
        });
    }
    let mut env = Environment::new();
    env.add_template("index.html", include_str!("index.html"))
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|mut s| {
            let years = Value::from_safe_string(std::mem::take(&mut s.years_chart));
            let runs = Value::from_safe_string(std::mem::take(&mut s.runs_chart));
            context! { s => Value::from(Serde(&s)), years_chart => years, runs_chart => runs }
        })
        .collect();
    let html = env
        .get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                facts => Value::from(Serde(inputs.facts)),
                cards => Value::from(Serde(&cards)),
                sections => sections,
                scorecard => Value::from(Serde(inputs.scorecard)),
                k => k,
                hidden => HIDDEN,
            })
        })
        .map_err(|e| Error::Internal(format!("rendering the report: {e}")))?;
    std::fs::write(path, html).map_err(Error::io(path))
}
