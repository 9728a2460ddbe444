//! Clean: map one partner export onto a canonical table and parse every
//! value with the real parsers, deciding for each row whether it is kept or
//! quarantined, and for each field whether it is flagged.
//!
//! Rules have ids and severities. An `error` makes the row unusable: it goes
//! to quarantine with every reason. A `warning` keeps the row; the field is
//! nulled and flagged (only `date.unlikely`, a real but old date, keeps its
//! value). Issues carry the file, row and field, never the value.
//!
//! Nothing a person typed reaches the lake except as a declared, validated
//! value: a place the gazetteer lacks is nulled, never kept as written (a
//! name typed into a District cell would otherwise become a published
//! district label); its spelling goes to the restricted area for the data
//! officer, and the lake keeps only its [`shape`].

pub mod codes;
pub mod contract;
pub mod sections;
// The pure parsers live in their own crate, so they can be fuzzed.
pub use tafteesh_parsers::{amounts, dates, digits, phones};

use chrono::{Datelike, NaiveDate};
use foldhash::{HashMap, HashMapExt, HashSet};
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
        "row.ragged" => {
            "the row does not have one cell per header column (a stray quote or delimiter shifted its cells)"
        }
        "date.unrecognised" => "not a date in any known form",
        "date.impossible" => "names a day that does not exist",
        "date.out_of_range" => "date before 1900 or after the run's day: impossible, nulled",
        "date.unlikely" => "date before 1950: kept, but check it",
        "amount.unrecognised" => "not an amount in rupees",
        "amount.negative" => "negative amount",
        "amount.range" => "amount outside the allowed range",
        "integer.unrecognised" => "not a whole number",
        "integer.range" => "number outside the allowed range",
        "phone.not_mobile" => "not a ten-digit Indian mobile number",
        "code.unknown" => "code not in the value map or the schema's vocabulary",
        "place.unknown" => "place not in the gazetteer (nulled; its spelling is listed for the data officer)",
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
    /// For a table with direct identifiers: their plaintext on the kept rows,
    /// keyed by file and row, for linkage. Restricted: never in the lake.
    pub plain: Option<DataFrame>,
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
    /// Place names the gazetteer does not know, as written, with how many
    /// records use each: the list from which the gazetteer grows.
    pub unknown_places: Vec<UnknownPlace>,
}

/// A spelling of a district, police district, AHTU unit or state that the
/// gazetteer lacks. A real place name is not personal, but what sits in a
/// place cell is whatever was typed there (a name, a phone, a village), so
/// `written` stays in the restricted area and only its [`shape`] is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlace {
    pub field: String,
    pub written: String,
    pub records: usize,
}

/// The shape of a text, for publishing what kind of thing was written
/// without what: Latin capitals `A`, small letters `a`, letters of other
/// scripts `x` (ASCII, so it shows without a Bengali font), digits of any
/// script `9`; spaces and punctuation as they are.
/// `Murshidbd` -> `Aaaaaaaaa`, a phone -> `9999999999`.
pub fn shape(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some('A'),
            'a'..='z' => Some('a'),
            c if c.is_numeric() => Some('9'),
            // Vowel signs and viramas of Indic scripts belong to a letter.
            c if is_indic_mark(c) => None,
            c if c.is_alphabetic() => Some('x'),
            c if c.is_whitespace() => Some(' '),
            c if c.is_control() => Some('?'),
            c => Some(c),
        })
        .collect()
}

/// How far past the run's day (UTC) a date may lie: a partner in India
/// writes today's date up to five and a half hours before UTC reaches it.
pub const FUTURE_MARGIN_DAYS: u64 = 1;

/// The latest date a record may hold when cleaned on `today`.
pub fn latest_date(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_days(chrono::Days::new(FUTURE_MARGIN_DAYS))
        .unwrap_or(today)
}

/// The parsed dates nearest `today` on either side. Cleaning depends on the
/// day only through the "date in the future" rule, so a result cleaned on one
/// day holds on another day `d` exactly when no parsed date crosses it:
/// every past date is still on or before `d` and every future one still after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateWindow {
    /// The newest parsed date on or before [`latest_date`] (from 1950 on).
    pub max_past: Option<NaiveDate>,
    /// The oldest parsed date after [`latest_date`] (nulled when cleaned).
    pub min_future: Option<NaiveDate>,
}

impl DateWindow {
    /// Widen by one parsed date, judged against `today`.
    pub fn add(&mut self, d: NaiveDate, today: NaiveDate) {
        if d.year() < 1950 {
            return;
        }
        if d > latest_date(today) {
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
        let latest = latest_date(today);
        self.max_past.is_none_or(|d| d <= latest) && self.min_future.is_none_or(|d| d > latest)
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

impl<'r> Input<'r> {
    /// The cell, borrowed from the raw table rather than from `self`.
    fn get(&self, i: usize) -> &'r str {
        match *self {
            Input::Column(c) => &c[i], // trimmed when read
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
    // A ragged row is always a record: its cells are under the wrong
    // headers, so even "nothing mapped" cannot be trusted. It is quarantined.
    let ragged: HashSet<usize> = raw.ragged_rows.iter().copied().collect();
    let rows: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&r| ragged.contains(&r) || content.iter().any(|&c| !inputs[c].get(r).is_empty()))
        .collect();
    let no_record = live.len() - rows.len();

    // Columns are cleaned independently, so in parallel; their findings are
    // joined in column order, as if cleaned one after the other.
    use rayon::prelude::*;
    let (values, found): (Vec<Values>, Vec<Vec<Issue>>) = schema
        .columns
        .par_iter()
        .zip(inputs.par_iter())
        .map(|(spec, input)| {
            let mut found = Vec::new();
            let v = if spec.derived_from.is_some() {
                Values::Text(Vec::new()) // filled from its source below
            } else {
                clean_column(spec, input, &rows, ctx, &mut found)
            };
            (v, found)
        })
        .unzip();
    let mut values = values;
    let mut issues: Vec<Issue> = found.into_iter().flatten().collect();
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
        if live.binary_search(&r).is_ok() {
            issues.push(Issue {
                row_index: r,
                field: "(row)".into(),
                rule: "row.ragged",
                severity: Severity::Error,
            });
        }
    }

    let mut unknown: std::collections::BTreeMap<(&str, String), usize> = Default::default();
    for i in issues.iter().filter(|i| i.rule == "place.unknown") {
        let ci = schema.column_index(&i.field).expect("findings name schema columns");
        *unknown
            .entry((&schema.columns[ci].name, fold_space(inputs[ci].get(i.row_index))))
            .or_default() += 1;
    }
    let unknown_places = unknown
        .into_iter()
        .map(|((field, written), records)| UnknownPlace {
            field: field.to_string(),
            written,
            records,
        })
        .collect();

    contract::check_rules(schema, &inputs, &values, &rows, &mut issues);
    contract::check_unique_keys(schema, &inputs, &rows, &mut issues);
    let scores = contract::score(schema, &inputs, &rows, &issues);
    let flagged_rows: HashSet<usize> = issues.iter().map(|i| i.row_index).collect();
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

    // The plaintext of direct identifiers on kept rows, for record linkage
    // (restricted area only): names as written, phones normalised, villages keyed.
    let direct: Vec<usize> = (0..schema.columns.len())
        .filter(|&ci| schema.columns[ci].privacy == Privacy::Direct && matches!(inputs[ci], Input::Column(_)))
        .collect();
    let plain = (!direct.is_empty()).then(|| {
        let mut cols = vec![
            Column::new("partner_id".into(), vec![ctx.partner_id; kept_rows.len()]),
            Column::new("source_file".into(), vec![ctx.source_file; kept_rows.len()]),
            Column::new(
                "source_row".into(),
                kept_rows.iter().map(|&r| raw.rows[r] as i64).collect::<Vec<_>>(),
            ),
        ];
        for &ci in &direct {
            let spec = &schema.columns[ci];
            let text: Vec<Option<String>> = kept_rows
                .iter()
                .map(|&r| {
                    let s = inputs[ci].get(r);
                    let v = match spec.ty {
                        ColumnType::Phone => phones::parse_phone(s).ok()?,
                        ColumnType::Address => normalise_place(s),
                        _ => s.to_string(),
                    };
                    (!v.is_empty()).then_some(v)
                })
                .collect();
            cols.push(Column::new(spec.name.as_str().into(), text));
        }
        DataFrame::new_infer_height(cols).expect("columns of equal length by construction")
    });
    Ok(FeedOutput {
        frame,
        plain,
        quarantined: errors.into_iter().collect(),
        issues,
        no_record,
        window,
        records: rows.len(),
        clean_records,
        scores,
        unknown_places,
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

/// What one distinct raw value cleans to: the value, and the rule it broke
/// (with whether that finding is only ever a warning).
type Parsed<T> = (Option<T>, Option<(&'static str, bool)>);

/// Map each row's raw text through `parse`, once per distinct text. Most
/// columns (districts, codes, dates, sections) repeat a few hundred values
/// over a million rows, so each is parsed once; the findings are still
/// recorded row by row.
fn parse_rows<'r, T: Clone>(
    rows: &[usize],
    value: impl Fn(usize) -> Option<&'r str>,
    mut flag: impl FnMut(usize, &'static str, bool),
    memoise: bool,
    mut parse: impl FnMut(&'r str) -> Parsed<T>,
) -> Vec<Option<T>> {
    let mut seen: HashMap<&'r str, Parsed<T>> = HashMap::new();
    rows.iter()
        .map(|&r| {
            let s = value(r)?;
            let (v, finding) = if memoise {
                seen.entry(s).or_insert_with(|| parse(s)).clone()
            } else {
                parse(s)
            };
            if let Some((rule, force_warning)) = finding {
                flag(r, rule, force_warning);
            }
            v
        })
        .collect()
}

/// A sign that belongs to the letter before it in the Indic blocks
/// (Devanagari to Malayalam share one layout): candrabindu, anusvara and
/// visarga, nukta, vowel signs and virama, stress and length marks.
fn is_indic_mark(c: char) -> bool {
    let c = c as u32;
    (0x0900..=0x0DFF).contains(&c)
        && matches!((c - 0x0900) % 0x80, 0x00..=0x03 | 0x3A..=0x4F | 0x51..=0x57 | 0x62..=0x63)
}

/// Runs of white space folded to one space, allocating only when needed.
fn fold_space(s: &str) -> String {
    let mut prev_space = false;
    let clean = s.chars().all(|c| {
        let ok = c == ' ' && !prev_space || !c.is_whitespace();
        prev_space = c.is_whitespace();
        ok
    });
    if clean && !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace) {
        s.to_string()
    } else {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn clean_column<'r>(
    spec: &ColumnSpec,
    input: &Input<'r>,
    rows: &[usize],
    ctx: &FeedContext<'_>,
    issues: &mut Vec<Issue>,
) -> Values {
    let flag = |row: usize, rule: &'static str, force_warning: bool| {
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
    let mut flag = flag;
    // Blank required values are errors whatever the type.
    if spec.required {
        for &r in rows {
            if input.get(r).is_empty() {
                flag(r, "required", false);
            }
        }
    }
    let value = |r: usize| -> Option<&'r str> {
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
        // Names and phones rarely repeat: not memoised.
        return Values::Text(parse_rows(rows, value, flag, false, |s| {
            let norm = match spec.ty {
                ColumnType::Phone => match phones::parse_phone(s) {
                    Ok(p) => p,
                    Err(_) => return (None, Some(("phone.not_mobile", true))),
                },
                ColumnType::Address => normalise_place(s),
                _ => normalise_name(s),
            };
            ((!norm.is_empty()).then(|| ctx.pseudo.token(kind, &norm)), None)
        }));
    }
    match spec.ty {
        ColumnType::Date => Values::Date(parse_rows(rows, value, flag, true, |s| {
            match dates::parse_date(s, ctx.style) {
                // "31/12/9999" (an "unknown" sentinel) or a serial like 99999
                // names a real day, but not one a record can hold: kept, it
                // would add a financial year 9999-00 to every report.
                Ok(d) if d.year() < 1900 || d > latest_date(ctx.today) => (None, Some(("date.out_of_range", false))),
                Ok(d) if d.year() < 1950 => (Some(d), Some(("date.unlikely", true))),
                Ok(d) => (Some(d), None),
                Err(DateError::Impossible) => (None, Some(("date.impossible", false))),
                Err(DateError::Unrecognised) => (None, Some(("date.unrecognised", false))),
            }
        })),
        ColumnType::AmountInr | ColumnType::Integer => Values::Int(parse_rows(rows, value, flag, true, |s| {
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
                None => (None, Some((bad, false))),
                Some(v) if spec.min.is_some_and(|m| v < m) || spec.max.is_some_and(|m| v > m) => {
                    (None, Some((range, false)))
                }
                Some(v) => (Some(v), None),
            }
        })),
        ColumnType::Boolean => {
            let book = CodeBook::for_boolean(values_map);
            Values::Bool(parse_rows(rows, value, flag, true, |s| match book.lookup(s) {
                Some(v) => (Some(v == "true"), None),
                None => (None, Some(("code.unknown", false))),
            }))
        }
        ColumnType::Enum => {
            let book = CodeBook::for_enum(spec, values_map);
            Values::Text(parse_rows(rows, value, flag, true, |s| match book.lookup(s) {
                Some(v) => (Some(v.to_string()), None),
                None => (None, Some(("code.unknown", false))),
            }))
        }
        ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit => {
            let g: &Gazetteer = match spec.ty {
                ColumnType::District => &ctx.reference.districts,
                ColumnType::State => &ctx.reference.states,
                ColumnType::PoliceDistrict => &ctx.reference.police_districts,
                _ => &ctx.reference.ahtu_units,
            };
            Values::Text(parse_rows(rows, value, flag, true, |s| {
                let s = values_map.and_then(|m| m.get(s)).map(String::as_str).unwrap_or(s);
                match g.lookup(s) {
                    Some(name) => (Some(name.to_string()), None),
                    None => (None, Some(("place.unknown", true))),
                }
            }))
        }
        ColumnType::Sections => {
            Values::Sections(parse_rows(rows, value, flag, true, |s| match sections::parse_sections(
                s,
                &ctx.reference.acts,
            ) {
                Ok(p) => (Some(p), None),
                Err(sections::SectionsError::NoAct) => (None, Some(("sections.no_act", false))),
                Err(sections::SectionsError::Unrecognised) => (None, Some(("sections.unrecognised", false))),
            }))
        }
        // Text, Id, and direct types handled above.
        _ => Values::Text(rows.iter().map(|&r| value(r).map(fold_space)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_keeps_the_kind_of_text_and_none_of_its_letters() {
        assert_eq!(shape("Murshidbd"), "Aaaaaaaaa");
        assert_eq!(shape("N. 24 Pgs"), "A. 99 Aaa");
        assert_eq!(shape("+91 98765-43210"), "+99 99999-99999");
        assert_eq!(shape("মুর্শিদবাদ ২৪"), "xxxxxx 99", "vowel signs belong to their letter");
        assert_eq!(shape("a\nb\u{1b}"), "a a?", "control characters never pass");
    }

    #[test]
    fn white_space_is_folded_only_when_there_is_some() {
        assert_eq!(fold_space("Sagar  Island"), "Sagar Island");
        assert_eq!(fold_space("Sagar\tIsland"), "Sagar Island");
        assert_eq!(fold_space(" Sagar Island "), "Sagar Island");
        assert_eq!(fold_space("Sagar Island"), "Sagar Island");
        assert_eq!(fold_space("নদিয়া"), "নদিয়া");
    }

    #[test]
    fn a_memoised_parse_still_flags_every_row() {
        let cells = ["x", "1", "x", "", "1", "x"];
        let mut calls = 0;
        let mut flagged = Vec::new();
        let out = parse_rows(
            &[0, 1, 2, 3, 4, 5],
            |r| (!cells[r].is_empty()).then_some(cells[r]),
            |r, rule, _| flagged.push((r, rule)),
            true,
            |s| {
                calls += 1;
                match s.parse::<i64>() {
                    Ok(v) => (Some(v), None),
                    Err(_) => (None, Some(("integer.unrecognised", false))),
                }
            },
        );
        assert_eq!(out, [None, Some(1), None, None, Some(1), None]);
        assert_eq!(calls, 2, "each distinct text parsed once");
        assert_eq!(
            flagged,
            [
                (0, "integer.unrecognised"),
                (2, "integer.unrecognised"),
                (5, "integer.unrecognised")
            ]
        );
    }
}
