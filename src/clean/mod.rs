//! Clean: map one partner export onto a canonical table and parse every
//! value with the real parsers, deciding for each row whether it is kept or
//! quarantined, and for each field whether it is flagged.
//!
//! Rules have ids and severities. An `error` makes the row unusable: it goes
//! to quarantine with every reason. A `warning` keeps the row; the field is
//! nulled (or kept as written, for an unknown place) and flagged. Issues
//! carry the file, row and field, never the value.

pub mod amounts;
pub mod codes;
pub mod contract;
pub mod dates;
pub mod digits;
pub mod phones;
pub mod sections;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::config::pipeline::TableFeed;
use crate::config::reference::{Gazetteer, Reference};
use crate::config::schema::{ColumnSource, ColumnSpec, ColumnType, Privacy, TableSchema};
use crate::extract::RawTable;
use crate::privacy::{Pseudonymizer, normalise_name, normalise_place};
use codes::CodeBook;
use dates::{DateError, DateStyle};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about one field of one row. Never holds the value.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Index of the row in the raw table.
    pub row_index: usize,
    pub field: String,
    pub rule: &'static str,
    pub severity: Severity,
}

/// The plain-language meaning of a rule id.
pub fn rule_message(rule: &str) -> &'static str {
    match rule {
        "required" => "required field is blank",
        "row.ragged" => "the row has more cells than the header has columns",
        "date.unrecognised" => "not a date in any known form",
        "date.impossible" => "names a day that does not exist",
        "date.out_of_range" => "date before 1950 or in the future",
        "amount.unrecognised" => "not an amount in rupees",
        "amount.negative" => "negative amount",
        "amount.range" => "amount outside the allowed range",
        "integer.unrecognised" => "not a whole number",
        "integer.range" => "number outside the allowed range",
        "phone.not_mobile" => "not a ten-digit Indian mobile number",
        "code.unknown" => "code not in the value map or the schema's vocabulary",
        "place.unknown" => "place not in the gazetteer (kept as written)",
        "sections.no_act" => "section numbers without an act",
        "sections.unrecognised" => "no act and section found",
        other => contract::declared_message(other).unwrap_or("rule failed"),
    }
}

/// What a feed needs to know about its file and partner.
pub struct FeedContext<'a> {
    pub partner_id: &'a str,
    pub source_file: &'a str,
    pub schema: &'a TableSchema,
    pub feed: &'a TableFeed,
    pub reference: &'a Reference,
    pub style: DateStyle,
    pub pseudo: &'a Pseudonymizer,
    pub today: NaiveDate,
}

/// The result of cleaning one feed of one file.
#[derive(Debug)]
pub struct FeedOutput {
    /// Kept rows in lake form.
    pub frame: DataFrame,
    /// Raw-table indexes of quarantined rows, with the error rules that hit them.
    pub quarantined: Vec<(usize, Vec<Issue>)>,
    /// Every issue (warnings on kept rows and errors on quarantined ones).
    pub issues: Vec<Issue>,
    /// Rows where every column this table maps was blank: not a record of this table.
    pub no_record: usize,
    /// Where the parsed dates lie around `today`, so a later run on another
    /// day knows whether cleaning would flag the same dates.
    pub window: DateWindow,
    /// Records of this table in the file (kept and quarantined).
    pub records: usize,
    /// Records with no finding at all, error or warning: the MIS accuracy numerator.
    pub clean_records: usize,
    /// The per-field scorecard.
    pub scores: Vec<contract::FieldScore>,
}

/// The parsed dates nearest `today` on either side. Cleaning depends on the
/// day only through the "date in the future" rule, so a result cleaned on one
/// day holds on another day `d` exactly when no parsed date crosses it:
/// every past date is still on or before `d` and every future one still after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateWindow {
    /// The newest parsed date on or before `today` (from 1950 on).
    pub max_past: Option<NaiveDate>,
    /// The oldest parsed date after `today`.
    pub min_future: Option<NaiveDate>,
}

impl DateWindow {
    /// Widen by one parsed date, judged against `today`.
    pub fn add(&mut self, d: NaiveDate, today: NaiveDate) {
        if d.year() < 1950 {
            return;
        }
        if d > today {
            self.min_future = Some(self.min_future.map_or(d, |m| m.min(d)));
        } else {
            self.max_past = Some(self.max_past.map_or(d, |m| m.max(d)));
        }
    }

    pub fn merge(&mut self, other: DateWindow) {
        if let Some(d) = other.max_past {
            self.max_past = Some(self.max_past.map_or(d, |m| m.max(d)));
        }
        if let Some(d) = other.min_future {
            self.min_future = Some(self.min_future.map_or(d, |m| m.min(d)));
        }
    }

    /// Would cleaning on `today` flag exactly the dates it flagged before?
    pub fn holds_on(&self, today: NaiveDate) -> bool {
        self.max_past.is_none_or(|d| d <= today) && self.min_future.is_none_or(|d| d > today)
    }
}

/// Why a feed cannot use a file at all: a required column, or every mapped
/// column, is missing from it. `missing` lists the partner's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumns {
    pub missing: Vec<String>,
}

/// A column's cleaned values, typed.
enum Values {
    Text(Vec<Option<String>>),
    Date(Vec<Option<NaiveDate>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    /// Parsed sections; written to the lake in their normalised text form.
    Sections(Vec<Option<sections::Sections>>),
}

/// Where a canonical column's raw text comes from.
enum Input<'r> {
    Column(&'r [String]),
    Constant(&'r str),
    Absent,
}

impl Input<'_> {
    fn get(&self, i: usize) -> &str {
        match self {
            Input::Column(c) => c[i].trim(),
            Input::Constant(s) => s,
            Input::Absent => "",
        }
    }
}

/// Clean the rows `live` (not exact duplicates) of `raw` into one canonical table.
pub fn clean_feed(
    raw: &RawTable,
    live: &[usize],
    hashes: &[[u8; 16]],
    ctx: &FeedContext<'_>,
) -> Result<FeedOutput, MissingColumns> {
    let schema = ctx.schema;
    // Resolve each mapped column to a raw column.
    let mut missing = Vec::new();
    let mut missing_required = false;
    let mut inputs: Vec<Input<'_>> = Vec::with_capacity(schema.columns.len());
    for spec in &schema.columns {
        let input = if let Some(header) = ctx.feed.columns.get(&spec.name) {
            match raw.column_index(header) {
                Some(i) => Input::Column(&raw.columns[i]),
                None => {
                    missing.push(header.clone());
                    missing_required |= spec.required;
                    Input::Absent
                }
            }
        } else if let Some(c) = ctx.feed.constants.get(&spec.name) {
            Input::Constant(c.as_str())
        } else if spec.source == ColumnSource::Partner {
            Input::Constant(ctx.partner_id)
        } else {
            Input::Absent
        };
        inputs.push(input);
    }
    if missing_required || missing.len() == ctx.feed.columns.len() {
        return Err(MissingColumns { missing });
    }

    // A row is a record of this table when a column it maps, other than a
    // reference to another table's record, holds something.
    let content: Vec<usize> = schema
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| matches!(inputs[*i], Input::Column(_)) && !is_foreign_ref(schema, &c.name))
        .map(|(i, _)| i)
        .collect();
    let rows: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&r| content.iter().any(|&c| !inputs[c].get(r).is_empty()))
        .collect();
    let no_record = live.len() - rows.len();

    let mut issues: Vec<Issue> = Vec::new();
    let mut values: Vec<Values> = Vec::with_capacity(schema.columns.len());
    for (ci, spec) in schema.columns.iter().enumerate() {
        values.push(if spec.derived_from.is_some() {
            Values::Text(Vec::new()) // filled from its source below
        } else {
            clean_column(spec, &inputs[ci], &rows, ctx, &mut issues)
        });
    }
    for (ci, spec) in schema.columns.iter().enumerate() {
        if let Some(src) = &spec.derived_from {
            let si = schema
                .columns
                .iter()
                .position(|c| &c.name == src)
                .expect("validated by the schema check");
            values[ci] = derive(spec, &values[si], rows.len());
        }
    }
    for &r in &raw.ragged_rows {
        if rows.contains(&r) {
            issues.push(Issue {
                row_index: r,
                field: "(row)".into(),
                rule: "row.ragged",
                severity: Severity::Error,
            });
        }
    }

    contract::check_rules(schema, &inputs, &values, &rows, &mut issues);
    contract::check_unique_keys(schema, &inputs, &rows, &mut issues);
    let scores = contract::score(schema, &inputs, &rows, &issues);
    let flagged_rows: std::collections::HashSet<usize> = issues.iter().map(|i| i.row_index).collect();
    let clean_records = rows.iter().filter(|r| !flagged_rows.contains(r)).count();

    // Split kept from quarantined.
    let mut errors: std::collections::BTreeMap<usize, Vec<Issue>> = Default::default();
    for i in issues.iter().filter(|i| i.severity == Severity::Error) {
        errors.entry(i.row_index).or_default().push(i.clone());
    }
    let keep: Vec<bool> = rows.iter().map(|r| !errors.contains_key(r)).collect();
    let kept_rows: Vec<usize> = rows.iter().zip(&keep).filter(|(_, k)| **k).map(|(r, _)| *r).collect();

    let mut window = DateWindow::default();
    for v in &values {
        if let Values::Date(ds) = v {
            ds.iter().flatten().for_each(|&d| window.add(d, ctx.today));
        }
    }
    let mut cols: Vec<Column> = Vec::with_capacity(schema.columns.len() + 3);
    for (spec, v) in schema.columns.iter().zip(values) {
        cols.push(to_column(&spec.lake_name(), v, &keep));
    }
    cols.push(Column::new(
        "source_file".into(),
        vec![ctx.source_file; kept_rows.len()],
    ));
    cols.push(Column::new(
        "source_row".into(),
        kept_rows.iter().map(|&r| raw.rows[r] as i64).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "record_hash".into(),
        kept_rows.iter().map(|&r| hex::encode(hashes[r])).collect::<Vec<_>>(),
    ));
    let frame = DataFrame::new_infer_height(cols).expect("columns of equal length by construction");
    Ok(FeedOutput {
        frame,
        quarantined: errors.into_iter().collect(),
        issues,
        no_record,
        window,
        records: rows.len(),
        clean_records,
        scores,
    })
}

/// A `*_ref` column that points at another table's record (a case's `survivor_ref`).
fn is_foreign_ref(schema: &TableSchema, column: &str) -> bool {
    column.ends_with("_ref") && !schema.key.iter().any(|k| k == column)
}

fn to_column(name: &str, v: Values, keep: &[bool]) -> Column {
    fn kept<T>(v: Vec<Option<T>>, keep: &[bool]) -> Vec<Option<T>> {
        v.into_iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()
    }
    let name: PlSmallStr = name.into();
    match v {
        Values::Text(v) => Column::new(name, kept(v, keep)),
        Values::Int(v) => Column::new(name, kept(v, keep)),
        Values::Bool(v) => Column::new(name, kept(v, keep)),
        Values::Sections(v) => {
            let text: Vec<Option<String>> = kept(v, keep).into_iter().map(|s| s.map(|p| p.normalised())).collect();
            Column::new(name, text)
        }
        Values::Date(v) => {
            let days: Vec<Option<i32>> = kept(v, keep).into_iter().map(|d| d.map(days_since_epoch)).collect();
            Column::new(name, days)
                .cast(&DataType::Date)
                .expect("i32 casts to Date")
        }
    }
}

/// Days since 1970-01-01, polars' and Parquet's representation of a date.
pub fn days_since_epoch(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

/// A derived column from its source's cleaned values: the trafficking flag
/// from the sections already parsed (never parsed a second time).
fn derive(spec: &ColumnSpec, source: &Values, n: usize) -> Values {
    match (source, spec.ty) {
        (Values::Sections(items), ColumnType::Boolean) => {
            Values::Bool(items.iter().map(|s| s.as_ref().map(|p| p.trafficking)).collect())
        }
        _ => Values::Text(vec![None; n]),
    }
}

fn clean_column(
    spec: &ColumnSpec,
    input: &Input<'_>,
    rows: &[usize],
    ctx: &FeedContext<'_>,
    issues: &mut Vec<Issue>,
) -> Values {
    let mut flag = |row: usize, rule: &'static str, force_warning: bool| {
        let severity = if spec.required && !force_warning {
            Severity::Error
        } else {
            Severity::Warning
        };
        issues.push(Issue {
            row_index: row,
            field: spec.name.clone(),
            rule,
            severity,
        });
    };
    // Blank required values are errors whatever the type.
    let required_blank: Vec<usize> = if spec.required {
        rows.iter().copied().filter(|&r| input.get(r).is_empty()).collect()
    } else {
        Vec::new()
    };
    for r in required_blank {
        flag(r, "required", false);
    }
    let value = |r: usize| -> Option<&str> {
        let s = input.get(r);
        (!s.is_empty()).then_some(s)
    };
    let values_map = ctx.feed.values.get(&spec.name);
    if spec.privacy == Privacy::Direct {
        let kind = match spec.ty {
            ColumnType::Phone => "phone",
            ColumnType::Address => "address",
            _ => "name",
        };
        return Values::Text(
            rows.iter()
                .map(|&r| {
                    let s = value(r)?;
                    let norm = match spec.ty {
                        ColumnType::Phone => match phones::parse_phone(s) {
                            Ok(p) => p,
                            Err(_) => {
                                flag(r, "phone.not_mobile", true);
                                return None;
                            }
                        },
                        ColumnType::Address => normalise_place(s),
                        _ => normalise_name(s),
                    };
                    (!norm.is_empty()).then(|| ctx.pseudo.token(kind, &norm))
                })
                .collect(),
        );
    }
    match spec.ty {
        ColumnType::Date => Values::Date(
            rows.iter()
                .map(|&r| {
                    let s = value(r)?;
                    match dates::parse_date(s, ctx.style) {
                        Ok(d) => {
                            if d.year() < 1950 || d > ctx.today {
                                flag(r, "date.out_of_range", true);
                            }
                            Some(d)
                        }
                        Err(DateError::Impossible) => {
                            flag(r, "date.impossible", false);
                            None
                        }
                        Err(DateError::Unrecognised) => {
                            flag(r, "date.unrecognised", false);
                            None
                        }
                    }
                })
                .collect(),
        ),
        ColumnType::AmountInr | ColumnType::Integer => Values::Int(
            rows.iter()
                .map(|&r| {
                    let s = value(r)?;
                    let (parsed, bad, range) = if spec.ty == ColumnType::AmountInr {
                        match amounts::parse_amount(s) {
                            Ok(v) => (Some(v), "", "amount.range"),
                            Err(amounts::AmountError::Negative) => (None, "amount.negative", ""),
                            Err(_) => (None, "amount.unrecognised", ""),
                        }
                    } else {
                        match codes::parse_integer(s) {
                            Some(v) => (Some(v), "", "integer.range"),
                            None => (None, "integer.unrecognised", ""),
                        }
                    };
                    match parsed {
                        None => {
                            flag(r, bad, false);
                            None
                        }
                        Some(v) if spec.min.is_some_and(|m| v < m) || spec.max.is_some_and(|m| v > m) => {
                            flag(r, range, false);
                            None
                        }
                        Some(v) => Some(v),
                    }
                })
                .collect(),
        ),
        ColumnType::Boolean => {
            let book = CodeBook::for_boolean(values_map);
            Values::Bool(
                rows.iter()
                    .map(|&r| {
                        let s = value(r)?;
                        match book.lookup(s) {
                            Some(v) => Some(v == "true"),
                            None => {
                                flag(r, "code.unknown", false);
                                None
                            }
                        }
                    })
                    .collect(),
            )
        }
        ColumnType::Enum => {
            let book = CodeBook::for_enum(spec, values_map);
            Values::Text(
                rows.iter()
                    .map(|&r| {
                        let s = value(r)?;
                        match book.lookup(s) {
                            Some(v) => Some(v.to_string()),
                            None => {
                                flag(r, "code.unknown", false);
                                None
                            }
                        }
                    })
                    .collect(),
            )
        }
        ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit => {
            let g: &Gazetteer = match spec.ty {
                ColumnType::District => &ctx.reference.districts,
                ColumnType::State => &ctx.reference.states,
                ColumnType::PoliceDistrict => &ctx.reference.police_districts,
                _ => &ctx.reference.ahtu_units,
            };
            Values::Text(
                rows.iter()
                    .map(|&r| {
                        let s = value(r)?;
                        let s = values_map.and_then(|m| m.get(s)).map(String::as_str).unwrap_or(s);
                        match g.lookup(s) {
                            Some(name) => Some(name.to_string()),
                            None => {
                                flag(r, "place.unknown", true);
                                Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
                            }
                        }
                    })
                    .collect(),
            )
        }
        ColumnType::Sections => Values::Sections(
            rows.iter()
                .map(|&r| {
                    let s = value(r)?;
                    match sections::parse_sections(s, ctx.reference) {
                        Ok(p) => Some(p),
                        Err(sections::SectionsError::NoAct) => {
                            flag(r, "sections.no_act", false);
                            None
                        }
                        Err(sections::SectionsError::Unrecognised) => {
                            flag(r, "sections.unrecognised", false);
                            None
                        }
                    }
                })
                .collect(),
        ),
        // Text, Id, and direct types handled above.
        _ => Values::Text(
            rows.iter()
                .map(|&r| value(r).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")))
                .collect(),
        ),
    }
}
