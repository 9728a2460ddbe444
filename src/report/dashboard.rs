//! The HTML dashboard: one self-contained file per language (`index.html`
//! in English, `index.bn.html` in Bengali, each linking to the other),
//! emailed and opened offline. No script, no web font, no network: styles
//! are inline and charts are SVG drawn here, so what the reader sees is
//! what was rendered. Every word comes from the language's catalogue (see
//! [`super::lang`]); the figures are the same on both pages.
//!
//! It shows, per indicator: a headline card (the latest financial year's
//! consortium figure with its interval, denominator, change since the year
//! before and target status), the trend across financial years and across
//! runs, and the breakdowns by partner and by district; then what was
//! suppressed and why, the MIS accuracy scorecard, and which exports the
//! figures come from.

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use tafteesh_parsers::amounts::indian_grouping;

use super::charts::{HIDDEN, Point, bar_chart, line_chart};
use super::lang::Lang;
use super::{IndicatorRow, RunFacts, RunPoint, Scorecard};
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
    /// The programme's dimension, in the page's language.
    pillar: String,
    theme: String,
    title: String,
    period: String,
    /// The date that places a record in the period ("by award date"): two
    /// cards that count by different dates need not add up.
    counted_by: String,
    text: String,
    detail: String,
    /// "met", "not met" or "" (no target for the period): the chip's class.
    target: String,
    /// The target and whether it was met, in words.
    target_text: String,
    /// "▲ 2.1 points since FY 2024-25", or "" without two years to compare.
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
    pillar: String,
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
    /// What was hidden, in words ("" when nothing was).
    hidden_note: String,
}

/// The figures of one page, in its language.
pub(super) struct Page<'a> {
    pub(super) lang: &'a Lang,
}

impl Page<'_> {
    /// A value as the page shows it where space is short: rupees of a lakh
    /// or more in lakh or crore, as an Indian reader says them.
    pub(super) fn amount(&self, unit: &str, value: Option<f64>) -> String {
        let l = self.lang;
        let Some(v) = value else {
            return "–".into();
        };
        match unit {
            "INR" if v.abs() >= 1e7 => {
                let crore = v / 1e7;
                let n = if crore.abs() >= 100.0 {
                    indian_grouping(crore.round() as i64)
                } else {
                    format!("{crore:.2}")
                };
                l.fill("crore", &[("n", &n)])
            }
            "INR" if v.abs() >= 1e5 => l.fill("lakh", &[("n", &format!("{:.1}", v / 1e5))]),
            "INR" => l.digits(&format!("₹{}", indian_grouping(v.round() as i64))),
            "%" => l.digits(&format!("{v:.1}%")),
            "days" => l.fill("days", &[("n", &indian_grouping(v.round() as i64))]),
            _ => l.digits(&indian_grouping(v.round() as i64)),
        }
    }

    /// How a figure reads: the hidden symbol for any figure not shown (one
    /// symbol, explained once under each table), else its value.
    fn figure(&self, r: &IndicatorRow) -> String {
        if r.suppressed {
            HIDDEN.into()
        } else {
            self.amount(&r.unit, r.value)
        }
    }

    fn ratio(&self, n: f64, d: f64) -> String {
        self.lang.digits(&format!(
            "{} / {}",
            indian_grouping(n as i64),
            indian_grouping(d as i64)
        ))
    }

    /// The detail line under a figure: "n / d; 95% CI lo–hi%", "n claims"
    /// (with the exact rupees where the figure is shortened), "median of
    /// n"; nothing for a hidden figure.
    fn detail(&self, r: &IndicatorRow) -> String {
        let l = self.lang;
        if r.suppressed {
            return String::new();
        }
        match (r.unit.as_str(), r.numerator, r.denominator) {
            ("%", Some(n), Some(d)) => {
                let ratio = self.ratio(n, d);
                match r.ci_low.zip(r.ci_high) {
                    Some((lo, hi)) => format!(
                        "{ratio}; {}",
                        l.fill("ci", &[("lo", &format!("{lo:.1}")), ("hi", &format!("{hi:.1}"))])
                    ),
                    None => ratio,
                }
            }
            ("days", _, _) => r
                .cell_size
                .map(|n| l.fill("median_of", &[("n", &indian_grouping(n as i64))]))
                .unwrap_or_default(),
            ("INR", _, _) => {
                let exact = l.digits(&format!("₹{}", indian_grouping(r.value.unwrap_or(0.0).round() as i64)));
                let claims = r
                    .cell_size
                    .map(|n| l.fill("claims", &[("n", &indian_grouping(n as i64))]));
                match (self.amount("INR", r.value) != exact, claims) {
                    (true, Some(c)) => format!("{exact}; {c}"),
                    (true, None) => exact,
                    (false, c) => c.unwrap_or_default(),
                }
            }
            _ => String::new(),
        }
    }

    /// A table cell for a figure, or a dash where there is none.
    fn cell(&self, r: Option<&IndicatorRow>) -> Cell {
        match r {
            Some(r) => Cell {
                text: self.figure(r),
                detail: self.detail(r),
            },
            None => Cell {
                text: "–".into(),
                detail: String::new(),
            },
        }
    }

    /// The sum over partners beside a consortium figure. Hidden with it
    /// when the consortium figure is hidden: "§" beside a published sum of 7
    /// only puzzles a reader, and the sum says nothing without the figure
    /// it is compared with.
    fn naive_cell(&self, r: &IndicatorRow) -> Cell {
        if r.suppressed || r.naive_suppressed {
            return Cell {
                text: HIDDEN.into(),
                detail: String::new(),
            };
        }
        Cell {
            text: self.amount(&r.unit, r.naive_value),
            detail: match (r.unit.as_str(), r.naive_numerator, r.naive_denominator) {
                ("%", Some(n), Some(d)) => self.ratio(n, d),
                _ => String::new(),
            },
        }
    }

    /// Whether the figure meets the period's target: the chip's class and
    /// its words.
    fn target_status(&self, meta: &IndicatorMeta, r: &IndicatorRow) -> (String, String) {
        let l = self.lang;
        let Some(t) = r.target else {
            return (String::new(), String::new());
        };
        let target = l.fill("target", &[("value", &self.amount(&r.unit, Some(t)))]);
        match r.value {
            Some(v) if !r.suppressed => {
                let met = if meta.better == "lower" { v <= t } else { v >= t };
                let (class, word) = if met { ("met", "met") } else { ("not met", "not_met") };
                (class.into(), format!("{target}: {}", l.t(word)))
            }
            _ => (String::new(), target),
        }
    }

    /// The change from the year before, with an arrow, and whether it went
    /// the better way. Empty when either year is hidden or missing.
    fn change(&self, meta: &IndicatorMeta, now: &IndicatorRow, before: Option<&IndicatorRow>) -> (String, String) {
        let l = self.lang;
        let Some(before) = before.filter(|b| !b.suppressed && !now.suppressed) else {
            return (String::new(), String::new());
        };
        let (Some(a), Some(b)) = (now.value, before.value) else {
            return (String::new(), String::new());
        };
        let d = a - b;
        let since = l.period(&before.period);
        let amount = match now.unit.as_str() {
            "%" => l.fill("points", &[("n", &format!("{:.1}", d.abs()))]),
            unit => self.amount(unit, Some(d.abs())),
        };
        let zero = match now.unit.as_str() {
            "%" => l.fill("points", &[("n", "0.0")]),
            unit => self.amount(unit, Some(0.0)),
        };
        if amount == zero {
            return (l.fill("no_change", &[("period", &since)]), "same".into());
        }
        let up = d > 0.0;
        let better = up == (meta.better != "lower");
        (
            l.fill(
                "change",
                &[
                    ("arrow", if up { "▲" } else { "▼" }),
                    ("amount", &amount),
                    ("period", &since),
                ],
            ),
            if better { "better" } else { "worse" }.into(),
        )
    }

    /// A period as the reader sees it: a financial year still running
    /// reads "FY 2026-27 (to date)", so a part year is not compared with
    /// whole ones.
    fn to_date(&self, period: &str, mine: &[&IndicatorRow]) -> String {
        let name = self.lang.period(period);
        if mine.iter().any(|r| r.period == period && r.is_running_year()) {
            self.lang.fill("to_date", &[("period", &name)])
        } else {
            name
        }
    }

    /// A period under a bar: its years ("2025-26"), a star for one running.
    fn axis_label(&self, period: &str, mine: &[&IndicatorRow]) -> String {
        let star = if mine.iter().any(|r| r.period == period && r.is_running_year()) {
            "*"
        } else {
            ""
        };
        self.lang.digits(&format!("{}{star}", crate::period::short(period)))
    }

    /// Partners down (the consortium and the sum over partners first), All
    /// time and the latest financial years across: long partner names read
    /// in one line down the side, not wrapped into tall headers.
    fn by_partner(&self, mine: &[&IndicatorRow]) -> Grid {
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
                self.lang.t("consortium_linked").to_string(),
                periods.iter().map(|p| self.cell(consortium(p))).collect(),
            ),
            (
                self.lang.t("sum_over_partners").to_string(),
                periods
                    .iter()
                    .map(|p| consortium(p).map_or_else(|| self.cell(None), |r| self.naive_cell(r)))
                    .collect(),
            ),
        ];
        rows.extend(partners.iter().map(|(label, id)| {
            (
                label.clone(),
                periods.iter().map(|p| self.cell(find(p, "partner", id))).collect(),
            )
        }));
        Grid {
            columns: periods.iter().map(|p| self.to_date(p, mine)).collect(),
            rows,
        }
    }

    /// One breakdown's values down ('unknown' last), All time and the
    /// latest financial years across.
    fn by_breakdown(&self, mine: &[&IndicatorRow], dimension: &str) -> Grid {
        let mut periods = periods(mine);
        periods.truncate(PERIODS_SHOWN);
        let mut values: Vec<String> = mine
            .iter()
            .filter(|r| r.dimension == dimension)
            .map(|r| r.dimension_value.clone())
            .collect();
        values.sort_by_key(|d| (d == "unknown", d.clone()));
        values.dedup();
        let label = |v: &str| {
            let key = match v {
                "unknown" => "unknown",
                "ahtu" if dimension == "investigated_by" => "ahtu",
                "local_police" => "local_police",
                "cid" if dimension == "investigated_by" => "cid",
                "other" if dimension == "investigated_by" => "other_agency",
                v => return v.to_string(),
            };
            self.lang.t(key).to_string()
        };
        let rows = values
            .into_iter()
            .map(|d| {
                let cells = periods
                    .iter()
                    .map(|p| {
                        self.cell(
                            mine.iter()
                                .copied()
                                .find(|r| &r.period == p && r.dimension == dimension && r.dimension_value == d),
                        )
                    })
                    .collect();
                (label(&d), cells)
            })
            .collect();
        Grid {
            columns: periods.iter().map(|p| self.to_date(p, mine)).collect(),
            rows,
        }
    }
}

/// All time and this many financial years in the tables (the chart and the
/// workbook have every year).
const PERIODS_SHOWN: usize = 4;

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

/// Write the dashboard in every language into `dir`.
pub fn write(inputs: &Inputs<'_>, dir: &Path, bengali_digits: bool) -> Result<()> {
    let langs = Lang::all(bengali_digits)?;
    for lang in &langs {
        let other = langs.iter().find(|o| o.code != lang.code).unwrap_or(lang);
        let html = render(inputs, lang, other)?;
        let path = dir.join(lang.page());
        std::fs::write(&path, html).map_err(Error::io(&path))?;
    }
    Ok(())
}

/// One language's page.
fn render(inputs: &Inputs<'_>, lang: &Lang, other: &Lang) -> Result<String> {
    let page = Page { lang };
    let mut cards = Vec::new();
    let mut sections = Vec::new();
    for meta in inputs.catalogue {
        let mine: Vec<&IndicatorRow> = inputs.rows.iter().filter(|r| r.indicator_id == meta.id).collect();
        let consortium: Vec<&IndicatorRow> = mine.iter().copied().filter(|r| r.dimension == "consortium").collect();
        cards.extend(card(&page, meta, &consortium));
        sections.push(section(inputs, &page, meta, &mine, &consortium));
    }
    fill(inputs, lang, other, cards, sections)
}

/// An indicator's card: the latest complete financial year (one that ran
/// to 31 March before the as-of date) with a consortium figure, else All
/// time; none when there is neither.
fn card(page: &Page<'_>, meta: &IndicatorMeta, consortium: &[&IndicatorRow]) -> Option<Card> {
    let lang = page.lang;
    let r = consortium
        .iter()
        .filter(|r| r.period_type == "year" && !r.is_running_year())
        .max_by(|a, b| a.period.cmp(&b.period))
        .or_else(|| consortium.iter().find(|r| r.period == ALL_TIME))?;
    let (target, target_text) = page.target_status(meta, r);
    let before = consortium
        .iter()
        .copied()
        .filter(|b| b.period_type == "year" && b.period < r.period)
        .max_by(|a, b| a.period.cmp(&b.period));
    let (change, change_class) = if r.period_type == "year" {
        page.change(meta, r, before)
    } else {
        (String::new(), String::new())
    };
    Some(Card {
        id: meta.id.clone(),
        pillar: lang.t(&format!("pillar_{}", meta.pillar)).to_string(),
        theme: lang.theme(&meta.theme),
        title: lang.indicator(meta).title,
        period: lang.period(&r.period),
        counted_by: lang.counted_by(&meta.period_by),
        text: page.figure(r),
        detail: page.detail(r),
        target,
        target_text,
        change,
        change_class,
    })
}

/// An indicator's consortium figure by financial year, for its chart.
fn year_points(page: &Page<'_>, meta: &IndicatorMeta, consortium: &[&IndicatorRow]) -> Vec<Point> {
    let lang = page.lang;
    let mut years: Vec<&&IndicatorRow> = consortium.iter().filter(|r| r.period_type == "year").collect();
    years.sort_by(|a, b| a.period.cmp(&b.period));
    years
        .iter()
        .map(|r| Point {
            label: page.to_date(&r.period, consortium),
            axis_label: page.axis_label(&r.period, consortium),
            value: if r.suppressed { None } else { r.value },
            interval: r.ci_low.zip(r.ci_high),
            target: r.target,
            target_text: r
                .target
                .map(|t| lang.fill("target", &[("value", &page.amount(&meta.unit, Some(t)))]))
                .unwrap_or_default(),
            text: page.figure(r),
        })
        .collect()
}

/// An indicator's figure at each earlier run, for its chart.
fn run_points(inputs: &Inputs<'_>, page: &Page<'_>, meta: &IndicatorMeta) -> Vec<Point> {
    let lang = page.lang;
    inputs
        .runs
        .iter()
        .filter(|p| p.indicator_id == meta.id)
        .map(|p| Point {
            label: lang.digits(&p.as_of),
            axis_label: lang.digits(&p.as_of),
            value: if p.suppressed { None } else { p.value },
            interval: None,
            target: None,
            target_text: String::new(),
            text: if p.suppressed {
                HIDDEN.into()
            } else {
                page.amount(&meta.unit, p.value)
            },
        })
        .collect()
}

/// An indicator's section: its definition, charts, and tables by year,
/// partner, district and agency, with how many cells are hidden and why.
fn section(
    inputs: &Inputs<'_>,
    page: &Page<'_>,
    meta: &IndicatorMeta,
    mine: &[&IndicatorRow],
    consortium: &[&IndicatorRow],
) -> Section {
    let (lang, k) = (page.lang, inputs.k);
    let text = lang.indicator(meta);
    let year_points = year_points(page, meta, consortium);
    let run_points = run_points(inputs, page, meta);
    let hidden = |reason: &str| {
        mine.iter()
            .filter(|r| r.suppression_reason.as_deref() == Some(reason))
            .count()
    };
    let (primary, secondary) = (hidden(crate::suppress::PRIMARY), hidden(crate::suppress::SECONDARY));
    let axis = |v: f64| page.amount(&meta.unit, Some(v));
    Section {
        id: meta.id.clone(),
        pillar: lang.t(&format!("pillar_{}", meta.pillar)).to_string(),
        theme: lang.theme(&meta.theme),
        title: text.title.clone(),
        definition: text.definition.clone(),
        numerator: text.numerator.clone(),
        denominator: text.denominator.clone(),
        source: meta.source.clone(),
        unit: meta.unit.clone(),
        better: meta.better.clone(),
        years_chart: bar_chart(
            &year_points,
            &meta.unit,
            &lang.fill("by_financial_year", &[("title", &text.title)]),
            &axis,
            lang.t("target_legend"),
        ),
        runs_chart: line_chart(
            &run_points,
            &meta.unit,
            &lang.fill("by_run", &[("title", &text.title)]),
            &axis,
        ),
        years: year_points
            .iter()
            .map(|p| (p.label.clone(), p.text.clone()))
            .rev()
            .collect(),
        by_partner: page.by_partner(mine),
        by_district: page.by_breakdown(mine, "district"),
        by_agency: if meta.dashboard_breakdowns.iter().any(|d| d == "investigated_by") {
            page.by_breakdown(mine, "investigated_by")
        } else {
            Grid::default()
        },
        hidden_primary: primary,
        hidden_secondary: secondary,
        hidden_note: if primary + secondary > 0 {
            lang.fill(
                "hidden_note",
                &[
                    ("hidden", HIDDEN),
                    ("primary", &primary.to_string()),
                    ("secondary", &secondary.to_string()),
                    ("k", &k.to_string()),
                ],
            )
        } else {
            String::new()
        },
    }
}

/// The page: the template filled with the cards, sections, scorecard and
/// the language's words.
fn fill(inputs: &Inputs<'_>, lang: &Lang, other: &Lang, cards: Vec<Card>, sections: Vec<Section>) -> Result<String> {
    let k = inputs.k;
    let mut env = Environment::new();
    env.add_template("index.html", include_str!("index.html"))
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    // Digits in the page's script, for figures the template prints as they come.
    let native = lang.writes_bengali_digits();
    env.add_filter("d", move |v: Value| -> String {
        if native {
            super::lang::bengali_digits(&v.to_string())
        } else {
            v.to_string()
        }
    });
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|mut s| {
            let years = Value::from_safe_string(std::mem::take(&mut s.years_chart));
            let runs = Value::from_safe_string(std::mem::take(&mut s.runs_chart));
            context! { s => Value::from(Serde(&s)), years_chart => years, runs_chart => runs }
        })
        .collect();
    let facts = inputs.facts;
    let k_text = k.to_string();
    let words = context! {
        sub => lang.fill("sub", &[("as_of", &facts.as_of), ("run", &facts.run_id), ("finished", &facts.finished_at), ("hidden", HIDDEN)]),
        hidden_text => lang.fill("hidden_text", &[("k_less", &(k - 1).to_string()), ("k", &k_text), ("hidden", HIDDEN)]),
        footer => lang.fill("footer", &[("version", &facts.version), ("k", &k_text)]),
        kept => facts.rows_kept.iter().map(|(t, n)| (lang.digits(&n.to_string()), lang.fill("records_kept", &[("table", &t.replace('_', " "))]))).collect::<Vec<_>>(),
    };
    // The five dimensions (and the MIS), each with how many indicators
    // measure it: a dimension with none says so.
    let pillars: Vec<Value> = crate::warehouse::PILLARS
        .iter()
        .map(|p| {
            let n = inputs.catalogue.iter().filter(|m| m.pillar == *p).count();
            context! {
                name => lang.t(&format!("pillar_{p}")),
                about => lang.t(&format!("pillar_{p}_about")),
                count => if n == 0 { lang.t("pillar_none").to_string() } else { lang.fill("pillar_count", &[("n", &lang.digits(&n.to_string()))]) },
                anchor => inputs.catalogue.iter().find(|m| m.pillar == *p).map(|m| m.id.clone()),
            }
        })
        .collect();
    env.get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                pillars => pillars,
                facts => Value::from(Serde(facts)),
                cards => Value::from(Serde(&cards)),
                sections => sections,
                scorecard => Value::from(Serde(inputs.scorecard)),
                k => k,
                hidden => HIDDEN,
                lang => lang.code.as_str(),
                reviewed => lang.reviewed,
                m => Value::from(Serde(lang.ui_map())),
                w => words,
                other => context! { page => other.page(), name => lang.t("other_language"), title => lang.t("other_language_title"), code => other.code.as_str() },
            })
        })
        .map_err(|e| Error::Internal(format!("rendering the report: {e}")))
}
