//! Clean: map one partner export onto a canonical table and parse every
//! value with the real parsers, deciding for each row whether it is kept or
//! quarantined, and for each field whether it is flagged.
//!
//! Rules have ids and severities. An `error` makes the row unusable: it goes
//! to quarantine with every reason. A `warning` keeps the row; the field is
//! nulled and flagged (only `date.unlikely`, a real but old date, keeps its
//! value). Issues carry the file, row and field, never the value.
//!
//! Nothing a person typed reaches the lake except as a known value (see
//! [`crate::config::schema::ColumnType`]): an enum, date, number or
//! sections value as parsed; a place or scheme only when its reference
//! list knows it, else nulled (a name typed into a Block cell, a phone
//! into Police Station), its spelling going to the restricted area for the
//! data officer and the lake keeping only its [`shape`]; a partner's own
//! identifier as a keyed pseudonym; free text not at all. What linkage
//! compares as written is kept beside it in the restricted area
//! ([`FeedOutput::plain`]).

mod choices;
pub mod codes;
mod column;
pub mod contract;
mod issues;
mod places;
pub mod sections;
mod window;
// The pure parsers live in their own crate, so they can be fuzzed.
pub use tafteesh_parsers::{amounts, dates, digits, phones};

use chrono::{Datelike, NaiveDate};
use foldhash::{HashMap, HashMapExt, HashSet};
use polars::prelude::*;

use crate::config::pipeline::{RowCondition, TableFeed};
use crate::config::reference::Reference;
use crate::config::schema::{ColumnSource, ColumnSpec, ColumnType, Privacy, TableSchema};
use crate::extract::RawTable;
use crate::privacy::{Pseudonymizer, normalise_identifier, normalise_name, normalise_place};
use codes::CodeBook;
use dates::{DateError, DateStyle};

pub use column::is_indic_mark;
use column::{Values, clean_column, derive, fold_space, to_column};
pub use issues::{BUILT_IN_RULES, Issue, Severity, rule_message};
pub use places::{UnknownPlace, shape};
pub use window::{DateWindow, FUTURE_MARGIN_DAYS, latest_date};

/// What a feed needs to know about its file and partner.
pub struct FeedContext<'a> {
    pub partner_id: &'a str,
    /// The file's alias (see [`crate::aliases`]).
    pub source_file: &'a str,
    /// The file's place among its partner's files in inbox path order
    /// (1 = the first): a record's newest version is the one in the last.
    pub source_file_order: i64,
    pub schema: &'a TableSchema,
    pub feed: &'a TableFeed,
    pub reference: &'a Reference,
    pub style: DateStyle,
    /// Amounts and numbers are written with a decimal comma (`1.234,50`).
    pub decimal_comma: bool,
    pub pseudo: &'a Pseudonymizer,
    pub today: NaiveDate,
    /// The source's `reject` conditions: a row meeting any is quarantined.
    pub rejects: &'a [RowCondition],
    /// The source's `date_format`, for date columns without their own.
    pub date_format: Option<&'a str>,
}

/// The result of cleaning one feed of one file.
#[derive(Debug)]
pub struct FeedOutput {
    /// Kept rows in lake form.
    pub frame: DataFrame,
    /// The values as written that the lake does not publish as written
    /// (direct identifiers, partners' own identifiers, free text, blocks,
    /// police stations, schemes) on the kept rows, keyed by file and row,
    /// for linkage. Restricted: never in the lake.
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

/// Why a feed cannot use a file at all: a required column, or every mapped
/// column, is missing from it (`missing`), or a column its conditions name
/// (`condition`). Both list the partner's headers, as the config names them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MissingColumns {
    pub missing: Vec<String>,
    pub condition: Vec<String>,
}

/// Where a canonical column's raw text comes from.
enum Input<'r> {
    Column(&'r [String]),
    /// A mapped column whose blank cells stand for `value`, in every row or
    /// only where `mask` holds (the feed's `defaults`).
    Defaulted {
        cells: &'r [String],
        value: &'r str,
        mask: Option<&'r [bool]>,
    },
    Constant(&'r str),
    Absent,
}

impl<'r> Input<'r> {
    /// The cell, borrowed from the raw table rather than from `self`.
    fn get(&self, i: usize) -> &'r str {
        match *self {
            Input::Column(c) => &c[i], // trimmed when read
            Input::Defaulted { cells, value, mask } => {
                let c = &cells[i];
                if c.is_empty() && mask.is_none_or(|m| m[i]) {
                    value
                } else {
                    c
                }
            }
            Input::Constant(s) => s,
            Input::Absent => "",
        }
    }

    /// The cell as the partner wrote it: a default is not what makes a row
    /// a record.
    fn written(&self, i: usize) -> &'r str {
        match *self {
            Input::Defaulted { cells, .. } => &cells[i],
            _ => self.get(i),
        }
    }

    /// Whether it reads a column of the file.
    fn is_column(&self) -> bool {
        matches!(self, Input::Column(_) | Input::Defaulted { .. })
    }
}

/// A feed's row condition, resolved against the file's headers.
struct Condition<'r> {
    any_filled: Vec<&'r [String]>,
    equals: Vec<(&'r [String], String)>,
    matches: Vec<(&'r [String], regex::Regex)>,
}

impl<'r> Condition<'r> {
    /// Resolve `c` against `raw`; headers the file lacks are added to `missing`.
    fn resolve(c: &RowCondition, raw: &'r RawTable, missing: &mut Vec<String>) -> Condition<'r> {
        let mut col = |h: &String| header(raw, h, missing).map(|i| raw.columns[i].as_slice());
        Condition {
            any_filled: c.any_filled.iter().filter_map(&mut col).collect(),
            equals: c.equals.iter().filter_map(|(h, v)| Some((col(h)?, fold(v)))).collect(),
            matches: c
                .matches
                .iter()
                .filter_map(|(h, re)| Some((col(h)?, regex::Regex::new(re).expect("checked with the config"))))
                .collect(),
        }
    }

    fn holds(&self, i: usize) -> bool {
        (self.any_filled.is_empty() || self.any_filled.iter().any(|c| !c[i].is_empty()))
            && self.equals.iter().all(|(c, v)| fold(&c[i]) == *v)
            && self.matches.iter().all(|(c, re)| re.is_match(&c[i]))
    }
}

/// A column of the file, with its blank cells standing for the feed's
/// default where it declares one.
fn with_default<'r>(
    feed: &'r TableFeed,
    masks: &'r HashMap<&str, Vec<bool>>,
    name: &str,
    cells: &'r [String],
) -> Input<'r> {
    match feed.defaults.get(name) {
        Some(d) => Input::Defaulted {
            cells,
            value: d.value.as_str(),
            mask: masks.get(name).map(Vec::as_slice),
        },
        None => Input::Column(cells),
    }
}

/// The index of header `h` in `raw`; a header the file lacks is added to `missing`.
fn header(raw: &RawTable, h: &String, missing: &mut Vec<String>) -> Option<usize> {
    let i = raw.column_index(h);
    if i.is_none() && !missing.contains(h) {
        missing.push(h.clone());
    }
    i
}

/// The canonical columns a feed makes from the partner's columns rather
/// than reading one as it is: joined, read by patterns, routed by row.
/// Headers the file lacks are added to `missing`.
fn derived_columns(
    feed: &TableFeed,
    schema: &TableSchema,
    raw: &RawTable,
    missing: &mut Vec<String>,
) -> HashMap<String, Vec<String>> {
    let n = raw.len();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (target, c) in &feed.choices {
        let keep_all = schema.column(target).is_some_and(|s| s.ty == ColumnType::Sections);
        if let Some(cells) = choices::column(c, feed.values.get(target), keep_all, raw, missing) {
            out.insert(target.clone(), cells);
        }
    }
    for (target, j) in &feed.joined {
        let parts: Vec<usize> = j.columns.iter().filter_map(|h| header(raw, h, missing)).collect();
        let cells = (0..n)
            .map(|r| {
                let filled: Vec<&str> = parts
                    .iter()
                    .map(|&c| raw.columns[c][r].as_str())
                    .filter(|v| !v.is_empty())
                    .collect();
                filled.join(&j.separator)
            })
            .collect();
        out.insert(target.clone(), cells);
    }
    for (target, text) in &feed.templates {
        let template = crate::config::template::Template::parse(text).expect("checked with the config");
        let found: HashMap<&str, usize> = template
            .headers()
            .filter_map(|h| Some((h, header(raw, &h.to_string(), missing)?)))
            .collect();
        let cells =
            crate::config::template::render(&template, n, |h, r| found.get(h).map(|&c| raw.columns[c][r].clone()));
        out.insert(target.clone(), cells);
    }
    // Patterns: per source column, the first pattern that matches a cell
    // decides every column the patterns over that source fill.
    type Compiled<'f> = (&'f crate::config::pipeline::Pattern, regex::Regex);
    let mut by_source: Vec<(&String, Vec<Compiled<'_>>)> = Vec::new();
    for p in &feed.patterns {
        let re = regex::Regex::new(&p.regex).expect("checked with the config");
        match by_source.iter_mut().find(|(s, _)| *s == &p.column) {
            Some((_, ps)) => ps.push((p, re)),
            None => by_source.push((&p.column, vec![(p, re)])),
        }
    }
    for (source, patterns) in by_source {
        let Some(c) = header(raw, source, missing) else {
            continue;
        };
        let mut filled: HashMap<String, Vec<String>> = HashMap::new();
        for (p, _) in &patterns {
            for t in p.targets() {
                filled.entry(t).or_insert_with(|| vec![String::new(); n]);
            }
        }
        for r in 0..n {
            let cell = raw.columns[c][r].as_str();
            if cell.is_empty() {
                continue;
            }
            let Some((p, re, caps)) = patterns
                .iter()
                .find_map(|(p, re)| re.captures(cell).map(|caps| (p, re, caps)))
            else {
                continue;
            };
            for name in re.capture_names().flatten() {
                if let (Some(v), Some(cells)) = (caps.name(name), filled.get_mut(name)) {
                    cells[r] = v.as_str().trim().to_string();
                }
            }
            for (k, v) in &p.set {
                if let Some(cells) = filled.get_mut(k.as_str()) {
                    cells[r] = v.clone();
                }
            }
        }
        for (t, cells) in filled {
            out.entry(t).or_insert(cells);
        }
    }
    // Routes: the first route to a column whose condition holds and whose
    // cell is filled gives its value.
    let mut routes: Vec<(&str, usize, Condition<'_>)> = Vec::new();
    for r in &feed.routes {
        let c = header(raw, &r.column, missing);
        let cond = Condition::resolve(&r.when, raw, missing);
        if let Some(c) = c {
            routes.push((r.to.as_str(), c, cond));
        }
    }
    let targets: Vec<&str> = {
        let mut t: Vec<&str> = routes.iter().map(|(t, _, _)| *t).collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    for to in targets {
        let cells = (0..n)
            .map(|r| {
                routes
                    .iter()
                    .filter(|(t, _, _)| *t == to)
                    .find(|(_, c, cond)| !raw.columns[*c][r].is_empty() && cond.holds(r))
                    .map(|(_, c, _)| raw.columns[*c][r].clone())
                    .unwrap_or_default()
            })
            .collect();
        out.insert(to.to_string(), cells);
    }
    out
}

/// A value as `when.equals` compares it: spaces folded, lower case.
fn fold(s: &str) -> String {
    fold_space(s).to_lowercase()
}

/// The feed's row conditions, resolved against the file.
struct Conditions<'r> {
    /// Which rows are records of this table (`when`).
    when: Option<Condition<'r>>,
    /// Where each default holds, by canonical column.
    masks: HashMap<&'r str, Vec<bool>>,
    /// The source's `reject` conditions.
    rejects: Vec<Condition<'r>>,
}

impl<'r> Conditions<'r> {
    /// Headers the conditions name that the file lacks are added to `missing`.
    fn resolve(raw: &'r RawTable, ctx: &FeedContext<'r>, missing: &mut Vec<String>) -> Conditions<'r> {
        let when = ctx.feed.when.as_ref().map(|c| Condition::resolve(c, raw, missing));
        let masks = ctx
            .feed
            .defaults
            .iter()
            .filter_map(|(col, d)| Some((col.as_str(), d.when.as_ref()?)))
            .map(|(col, c)| {
                let c = Condition::resolve(c, raw, missing);
                (col, (0..raw.len()).map(|i| c.holds(i)).collect())
            })
            .collect();
        let rejects = ctx
            .rejects
            .iter()
            .map(|c| Condition::resolve(c, raw, missing))
            .collect();
        Conditions { when, masks, rejects }
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
    let mut missing_condition = Vec::new();
    let conditions = Conditions::resolve(raw, ctx, &mut missing_condition);
    // Columns joined, read by patterns or routed by row, made once.
    let derived = derived_columns(ctx.feed, schema, raw, &mut missing_condition);
    let inputs = inputs(raw, ctx, &derived, &conditions.masks, missing_condition)?;
    let rows = records(raw, live, schema, &inputs, conditions.when.as_ref());
    let no_record = live.len() - rows.len();
    let (values, mut issues) = clean_columns(schema, &inputs, &rows, ctx);
    row_issues(raw, live, &rows, &conditions.rejects, &mut issues);
    long_cells(schema, &inputs, &rows, &mut issues);
    let unknown_places = unknown_places(schema, &inputs, &issues);
    contract::check_rules(schema, &inputs, &values, &rows, &mut issues);
    // Uniqueness among the rows kept: a re-submission whose rejected copy
    // is quarantined (`row.rejected`) leaves one record, not a duplicate.
    let quarantined: HashSet<usize> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.row_index)
        .collect();
    let kept_rows: Vec<usize> = rows.iter().copied().filter(|r| !quarantined.contains(r)).collect();
    contract::check_unique_keys(schema, &inputs, &kept_rows, &mut issues);
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
    // A planned date (a review's due date) is not judged against the day.
    for (v, spec) in values.iter().zip(&schema.columns) {
        if let Values::Date(ds) = v
            && !spec.planned
        {
            ds.iter().flatten().for_each(|&d| window.add(d, ctx.today));
        }
    }
    let frame = lake_frame(raw, hashes, ctx, values, &keep, &kept_rows);
    let plain = plain_frame(raw, ctx, &inputs, &kept_rows);
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

/// Each canonical column's raw text: derived, mapped (with its default),
/// constant or absent. The file cannot be used when it lacks a required
/// column, every mapped one, or a column a condition names.
fn inputs<'r>(
    raw: &'r RawTable,
    ctx: &FeedContext<'r>,
    derived: &'r HashMap<String, Vec<String>>,
    masks: &'r HashMap<&str, Vec<bool>>,
    missing_condition: Vec<String>,
) -> Result<Vec<Input<'r>>, MissingColumns> {
    let mut missing = Vec::new();
    let mut missing_required = false;
    let mut inputs: Vec<Input<'_>> = Vec::with_capacity(ctx.schema.columns.len());
    for spec in &ctx.schema.columns {
        let input = if let Some(cells) = derived.get(spec.name.as_str()) {
            with_default(ctx.feed, masks, &spec.name, cells)
        } else if let Some(header) = ctx.feed.columns.get(&spec.name) {
            match raw.column_index(header) {
                Some(i) => with_default(ctx.feed, masks, &spec.name, &raw.columns[i]),
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
    if missing_required || missing.len() == ctx.feed.columns.len() || !missing_condition.is_empty() {
        return Err(MissingColumns {
            missing,
            condition: missing_condition,
        });
    }
    Ok(inputs)
}

/// The live rows that are records of this table: a column it maps, other
/// than a reference to another table's record, holds something, and the
/// feed's `when` holds. A ragged row is always a record: its cells are
/// under the wrong headers, so even "nothing mapped" cannot be trusted. It
/// is quarantined.
fn records(
    raw: &RawTable,
    live: &[usize],
    schema: &TableSchema,
    inputs: &[Input<'_>],
    when: Option<&Condition<'_>>,
) -> Vec<usize> {
    let content: Vec<usize> = schema
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| inputs[*i].is_column() && !is_foreign_ref(schema, &c.name))
        .map(|(i, _)| i)
        .collect();
    let ragged: HashSet<usize> = raw.ragged_rows.iter().copied().collect();
    live.iter()
        .copied()
        .filter(|&r| {
            ragged.contains(&r)
                || (content.iter().any(|&c| !inputs[c].written(r).is_empty()) && when.is_none_or(|w| w.holds(r)))
        })
        .collect()
}

/// Every column's values on `rows`, and its findings. Columns are cleaned
/// independently, so in parallel; their findings are joined in column
/// order, as if cleaned one after the other. A derived column is made from
/// its source's values afterwards.
fn clean_columns(
    schema: &TableSchema,
    inputs: &[Input<'_>],
    rows: &[usize],
    ctx: &FeedContext<'_>,
) -> (Vec<Values>, Vec<Issue>) {
    use rayon::prelude::*;
    let (mut values, found): (Vec<Values>, Vec<Vec<Issue>>) = schema
        .columns
        .par_iter()
        .zip(inputs.par_iter())
        .map(|(spec, input)| {
            let mut found = Vec::new();
            let v = if spec.derived_from.is_some() {
                Values::Text(Vec::new()) // filled from its source below
            } else {
                clean_column(spec, input, rows, ctx, &mut found)
            };
            (v, found)
        })
        .unzip();
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
    (values, found.into_iter().flatten().collect())
}

/// Rows the partner rejects, repeat-group rows with no parent, and ragged
/// rows: each a record that cannot be trusted, quarantined and counted.
fn row_issues(raw: &RawTable, live: &[usize], rows: &[usize], rejects: &[Condition<'_>], issues: &mut Vec<Issue>) {
    let row_error = |r: usize, rule: &'static str| Issue {
        row_index: r,
        field: "(row)".into(),
        rule,
        severity: Severity::Error,
    };
    for &r in rows {
        if raw.orphan_rows.binary_search(&r).is_ok() {
            issues.push(row_error(r, "row.orphan"));
        } else if rejects.iter().any(|c| c.holds(r)) {
            issues.push(row_error(r, "row.rejected"));
        }
    }
    for &r in &raw.ragged_rows {
        if live.binary_search(&r).is_ok() {
            issues.push(row_error(r, "row.ragged"));
        }
    }
}

/// The most characters a spreadsheet cell holds (Excel's limit): a
/// longer cell is quarantined at cleaning, and a report cuts any longer
/// text it is given ([`crate::report::neutralise`]).
pub const CELL_CHARS: usize = 32_767;

/// Cells longer than a report's cell holds ([`CELL_CHARS`]):
/// no field of a case record is that long, and such a value (a pasted
/// document, a hostile export) would reach a workbook or the list of
/// unknown places. The row is quarantined, its field named.
fn long_cells(schema: &TableSchema, inputs: &[Input<'_>], rows: &[usize], issues: &mut Vec<Issue>) {
    let max = CELL_CHARS;
    for (spec, input) in schema.columns.iter().zip(inputs) {
        if !input.is_column() {
            continue;
        }
        for &r in rows {
            let cell = input.written(r);
            if cell.len() > max && cell.chars().count() > max {
                issues.push(Issue {
                    row_index: r,
                    field: spec.name.clone(),
                    rule: "cell.too_long",
                    severity: Severity::Error,
                });
            }
        }
    }
}

/// Place and scheme names the reference lists do not know, as written,
/// with how many records use each.
fn unknown_places(schema: &TableSchema, inputs: &[Input<'_>], issues: &[Issue]) -> Vec<UnknownPlace> {
    let mut unknown: std::collections::BTreeMap<(&str, String), usize> = Default::default();
    for i in issues
        .iter()
        .filter(|i| i.rule == "place.unknown" || i.rule == "scheme.unknown")
    {
        let ci = schema.column_index(&i.field).expect("findings name schema columns");
        // A cell too long for any report is its row's quarantine reason, not a spelling to list.
        let cell = inputs[ci].get(i.row_index);
        if cell.len() > CELL_CHARS && cell.chars().count() > CELL_CHARS {
            continue;
        }
        *unknown
            .entry((&schema.columns[ci].name, fold_space(inputs[ci].get(i.row_index))))
            .or_default() += 1;
    }
    unknown
        .into_iter()
        .map(|((field, written), records)| UnknownPlace {
            field: field.to_string(),
            written,
            records,
        })
        .collect()
}

/// The kept rows in lake form: the published columns, then where each row
/// came from (file alias, its order, row) and its record hash.
fn lake_frame(
    raw: &RawTable,
    hashes: &[[u8; 16]],
    ctx: &FeedContext<'_>,
    values: Vec<Values>,
    keep: &[bool],
    kept_rows: &[usize],
) -> DataFrame {
    let mut cols: Vec<Column> = Vec::with_capacity(ctx.schema.columns.len() + 4);
    for (spec, v) in ctx.schema.columns.iter().zip(values) {
        if spec.is_published() {
            cols.push(to_column(&spec.lake_name(), v, keep));
        }
    }
    cols.push(Column::new(
        "source_file".into(),
        vec![ctx.source_file; kept_rows.len()],
    ));
    cols.push(Column::new(
        "source_file_order".into(),
        vec![ctx.source_file_order; kept_rows.len()],
    ));
    cols.push(Column::new(
        "source_row".into(),
        kept_rows.iter().map(|&r| raw.rows[r] as i64).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "record_hash".into(),
        kept_rows.iter().map(|&r| hex::encode(hashes[r])).collect::<Vec<_>>(),
    ));
    DataFrame::new_infer_height(cols).expect("columns of equal length by construction")
}

/// What the lake does not publish as written, on kept rows, for record
/// linkage (restricted area only): names as written, phones normalised,
/// villages and other identifiers keyed; references, FIR numbers, free
/// text, blocks, police stations and schemes as written. Every such column
/// of the table, blank where this file maps none, so every file's frame of
/// a table has the same columns.
fn plain_frame(raw: &RawTable, ctx: &FeedContext<'_>, inputs: &[Input<'_>], kept_rows: &[usize]) -> Option<DataFrame> {
    let schema = ctx.schema;
    let direct: Vec<usize> = (0..schema.columns.len())
        .filter(|&ci| schema.columns[ci].keeps_plaintext())
        .collect();
    if direct.is_empty() {
        return None;
    }
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
                let v = match (spec.privacy, spec.ty) {
                    (Privacy::Direct, ColumnType::Phone) => phones::parse_phone(s).ok()?,
                    (Privacy::Direct, ColumnType::Address) => normalise_place(s),
                    (Privacy::Direct, ColumnType::Id) => normalise_identifier(s),
                    (Privacy::Direct, _) => s.to_string(),
                    _ => fold_space(s),
                };
                (!v.is_empty()).then_some(v)
            })
            .collect();
        cols.push(Column::new(spec.name.as_str().into(), text));
    }
    Some(DataFrame::new_infer_height(cols).expect("columns of equal length by construction"))
}

/// A `*_ref` column that points at another table's record (a case's `survivor_ref`).
fn is_foreign_ref(schema: &TableSchema, column: &str) -> bool {
    column.ends_with("_ref") && !schema.key.iter().any(|k| k == column)
}

/// Days since 1970-01-01, polars' and Parquet's representation of a date.
pub fn days_since_epoch(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

#[cfg(test)]
mod tests {
    use super::column::parse_rows;
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
    fn a_decimal_comma_is_read_as_the_usual_notation() {
        use super::column::decimal_comma_to_point;
        let amount = |s: &str| amounts::parse_amount(&decimal_comma_to_point(s));
        assert_eq!(amount("1.234.567,50"), Ok(1_234_568));
        assert_eq!(amount("Rs. 50.000"), Ok(50_000));
        assert_eq!(amount("1,5 lakh"), Ok(150_000));
        assert_eq!(amount("75000"), Ok(75_000));
        // Read with the default decimal point, the same cell is 1.23 rupees:
        // why a source must say which it uses.
        assert_eq!(amounts::parse_amount("1.234,56"), Ok(1));
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
