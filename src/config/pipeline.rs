//! Partner pipeline configs (`pipelines/*.toml`): which inbox files belong to
//! a partner, how to read them, and how their columns map onto the canonical
//! tables. Adding a partner is adding one of these files, never code.
//!
//! Unknown keys are collected (not just the first), so an operator sees every
//! problem of a file at once.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::schema::{ColumnType, TableSchema};

/// How a partner writes ambiguous numeric dates such as 03/04/2021.
pub use tafteesh_parsers::dates::DateOrder;

/// The export formats and encodings, as the readers know them.
pub use tafteesh_readers::{Encoding, Format};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TableFeed {
    /// Canonical column -> the partner's column header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical column -> fixed value for every row (e.g. `state = "Maharashtra"`).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Canonical column -> (partner's code -> canonical value).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Which rows hold a record of this table. Without it, a row does when
    /// any column it maps (other than a reference to another table's
    /// record) holds something; with it, the row must also meet it. A wide
    /// export's case columns are blank for a survivor with no case, but its
    /// row id never is: `when.any_filled = ["FIR No", "PS"]` says so.
    #[serde(default)]
    pub when: Option<RowCondition>,
    /// Canonical column -> the value a blank cell of its mapped column
    /// stands for (a blank "Result" on a charge-sheeted case is pending).
    #[serde(default)]
    pub defaults: BTreeMap<String, BlankDefault>,
    /// Canonical date column -> the format its cells are written in
    /// (chrono's strftime: `%Y%m%d`, `%d.%m.%y`), tried before the usual
    /// detection of Indian notations.
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
    /// Canonical column -> several of the partner's columns joined into
    /// one (a given name and a surname).
    #[serde(default)]
    pub joined: BTreeMap<String, Joined>,
    /// Canonical column -> a template of constants and the partner's
    /// columns, `"BKR-{serial:05}"` (see [`super::template`]): an
    /// identifier written as the partner's other registers write it, or a
    /// repeat row's position in its submission (`{#PARENT_KEY}`).
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
    /// Canonical columns read out of one of the partner's columns by
    /// patterns, tried in order: "Investigated by" holding `Local PS`,
    /// `Sundarban AHTU` or `CID West Bengal` gives the agency and the unit.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// A partner's column that feeds a canonical column only in the rows
    /// that meet a condition: one "Transfer Date" belongs to the AHTU or
    /// the CID, by the agency the row names. Routes to one column are tried
    /// in order; the first whose condition holds and whose cell is filled
    /// gives the value.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Canonical column -> a multiple-choice question (KoboToolbox's and
    /// ODK's `select_multiple`), exported as one column of chosen options
    /// or one 1/0 column per option.
    #[serde(default)]
    pub choices: BTreeMap<String, Choices>,
}

/// A `select_multiple` question feeding one canonical column. Each chosen
/// option is read through the column's value map (`values.<column>`); a
/// column of acts and sections keeps every chosen option, any other column
/// the first of `prefer` chosen, else the first chosen that the map knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choices {
    /// The "summary" column: the chosen options in one cell, separated by
    /// `separator` (a space, as KoboToolbox and ODK write option names).
    #[serde(default)]
    pub column: Option<String>,
    /// The "details" columns: one per option, headed by this prefix and the
    /// option (`exploitation/forced_labour`), holding 1 when chosen.
    #[serde(default)]
    pub options: Option<String>,
    #[serde(default = "space")]
    pub separator: String,
    /// Several chosen: the first of these canonical values that was chosen.
    #[serde(default)]
    pub prefer: Vec<String>,
    /// The value when options were chosen but the value map knows none of
    /// them (`"false"` for "was legal aid among the support received?").
    #[serde(default)]
    pub otherwise: Option<String>,
}

/// Several of the partner's columns joined into one canonical column,
/// blank parts left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Joined {
    pub columns: Vec<String>,
    #[serde(default = "space")]
    pub separator: String,
}

fn space() -> String {
    " ".into()
}

/// One pattern over one of the partner's columns. Where the cell matches
/// (and no earlier pattern over the same columns matched), each named
/// group `(?<ahtu_unit>...)` fills the canonical column of its name, and
/// `set` gives fixed values to others.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub column: String,
    #[serde(rename = "match")]
    pub regex: String,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

impl Pattern {
    /// The canonical columns it fills: its named groups, then `set`.
    pub fn targets(&self) -> Vec<String> {
        let mut out: Vec<String> = regex::Regex::new(&self.regex)
            .map(|re| re.capture_names().flatten().map(String::from).collect())
            .unwrap_or_default();
        out.extend(self.set.keys().cloned());
        out
    }
}

/// A partner's column feeding `to` in the rows that meet `when`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub column: String,
    pub to: String,
    pub when: RowCondition,
}

impl TableFeed {
    /// Whether canonical column `col` is read from the file (mapped,
    /// joined, patterned or routed).
    pub fn reads(&self, col: &str) -> bool {
        self.columns.contains_key(col)
            || self.joined.contains_key(col)
            || self.templates.contains_key(col)
            || self.choices.contains_key(col)
            || self.patterns.iter().any(|p| p.targets().iter().any(|t| t == col))
            || self.routes.iter().any(|r| r.to == col)
    }
}

/// A condition on a row, over the partner's own column headers (mapped or
/// not). Every clause given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCondition {
    /// At least one of these columns holds something.
    #[serde(default)]
    pub any_filled: Vec<String>,
    /// Each column holds this value (case and spaces folded).
    #[serde(default)]
    pub equals: BTreeMap<String, String>,
    /// Each column matches this regular expression.
    #[serde(default)]
    pub matches: BTreeMap<String, String>,
}

impl RowCondition {
    /// Every header the condition names.
    pub fn headers(&self) -> impl Iterator<Item = &String> {
        self.any_filled
            .iter()
            .chain(self.equals.keys())
            .chain(self.matches.keys())
    }

    fn problems(&self, at: &str, out: &mut Vec<String>) {
        if self.headers().next().is_none() {
            out.push(format!("{at}: sets no condition (any_filled, equals or matches)"));
        }
        for h in self.headers().filter(|h| h.trim().is_empty()) {
            out.push(format!("{at}: names a blank column header `{h}`"));
        }
        for (h, re) in &self.matches {
            if let Err(e) = regex::Regex::new(re) {
                out.push(format!(
                    "{at}.matches.\"{h}\": not a regular expression ({})",
                    regex_error(&e)
                ));
            }
        }
    }
}

/// The value a blank cell stands for, always or only in rows that meet a
/// condition: `defaults.outcome = { value = "pending", when.any_filled =
/// ["C/S Date"] }`. The value is read as if the partner had written it
/// (through the column's value map and its parser).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlankDefault {
    pub value: String,
    #[serde(default)]
    pub when: Option<RowCondition>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    /// A label for messages ("case register").
    pub name: String,
    /// Glob, relative to the inbox, of the files this source reads.
    pub files: String,
    pub format: Format,
    /// CSV delimiter: one character, or "tab".
    pub delimiter: Option<String>,
    #[serde(default)]
    pub encoding: Encoding,
    /// 1-based row of the header (rows above it are titles or merged headers).
    #[serde(default = "one")]
    pub header_row: usize,
    /// XLSX sheet name; the first sheet when absent.
    pub sheet: Option<String>,
    /// Date system for Excel serial numbers written as text (1900 or 1904).
    #[serde(default = "excel_1900")]
    pub excel_date_system: u16,
    /// The decimal separator of amounts and numbers written as text: "."
    /// (Indian and English notation, the default: `1,23,456.50`) or ","
    /// (`1.234.567,50`, a spreadsheet or a Kobo server with a European
    /// locale). With ",", a "." groups thousands.
    #[serde(default = "dot")]
    pub decimal_separator: String,
    /// The format every date column of this source is written in (chrono's
    /// strftime: `%d.%m.%y`), tried before the usual detection; a column's
    /// own `formats` entry wins.
    #[serde(default)]
    pub date_format: Option<String>,
    /// Canonical table name -> how this source feeds it.
    pub tables: BTreeMap<String, TableFeed>,
    /// A repeat group's sheet (KoboToolbox) or file (ODK Central): each row
    /// belongs to a row of its parent, whose columns it reads as
    /// `../<header>` (one survivor row, several case rows).
    #[serde(default)]
    pub parent: Option<Parent>,
    /// Rows the partner does not count as records: any condition that holds
    /// quarantines the row in every table this source feeds (a submission
    /// `_validation_status` marks not approved).
    #[serde(default)]
    pub reject: Vec<RowCondition>,
}

/// Where a repeat group's rows find their parent row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// The parent's sheet in the same workbook (xlsx).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The parent's file, beside this one (csv).
    #[serde(default)]
    pub file: Option<String>,
    /// 1-based header row of the parent.
    #[serde(default = "one")]
    pub header_row: usize,
    /// The parent's column identifying its row.
    #[serde(default = "kobo_index")]
    pub index: String,
    /// This sheet's column naming its parent's row.
    #[serde(default = "kobo_parent_index")]
    pub reference: String,
}

fn kobo_index() -> String {
    "_index".into()
}
fn kobo_parent_index() -> String {
    "_parent_index".into()
}

/// The prefix through which a repeat group's row reads its parent's columns.
pub const PARENT_PREFIX: &str = "../";

fn dot() -> String {
    ".".into()
}

fn one() -> usize {
    1
}
fn excel_1900() -> u16 {
    1900
}

impl Source {
    /// The declared CSV delimiter byte; `None` when the reader should detect it.
    pub fn delimiter_byte(&self) -> Option<u8> {
        match self.delimiter.as_deref() {
            Some("tab") | Some("\t") => Some(b'\t'),
            Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
            _ => None,
        }
    }

    /// What the readers need to know of this source.
    pub fn read_options(&self) -> tafteesh_readers::ReadOptions {
        tafteesh_readers::ReadOptions {
            format: Some(self.format),
            encoding: self.encoding,
            delimiter: self.delimiter_byte(),
            header_row: self.header_row,
            sheet: self.sheet.clone(),
            max_bytes: None,
            max_cells: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pipeline {
    pub partner_id: String,
    /// Human-readable partner name.
    pub name: String,
    #[serde(default)]
    pub date_order: DateOrder,
    pub sources: Vec<Source>,
}

impl Pipeline {
    /// Parse a pipeline config, listing every unknown key as a problem.
    pub fn parse(text: &str) -> Result<(Pipeline, Vec<String>), String> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
        let p: Pipeline = serde_ignored::deserialize(de, |path| unknown.push(format!("unknown key `{path}`")))
            .map_err(|e| e.to_string())?;
        Ok((p, unknown))
    }

    /// Problems of this config against the canonical schemas; empty when valid.
    pub fn problems(&self, schemas: &[TableSchema], file: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if !self
            .partner_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            out.push(format!(
                "partner_id `{}` must be lower-case letters, digits and _",
                self.partner_id
            ));
        }
        if stem != self.partner_id {
            out.push(format!(
                "partner_id `{}` differs from the file name `{stem}`",
                self.partner_id
            ));
        }
        if self.sources.is_empty() {
            out.push("no [[sources]]".into());
        }
        for (i, src) in self.sources.iter().enumerate() {
            let at = format!("sources[{i}] ({})", src.name);
            if let Err(e) = globset::Glob::new(&src.files) {
                out.push(format!("{at}: files = `{}` is not a valid glob: {e}", src.files));
            }
            if src.header_row == 0 {
                out.push(format!("{at}: header_row counts from 1"));
            }
            if ![".", ","].contains(&src.decimal_separator.as_str()) {
                out.push(format!(
                    "{at}: decimal_separator = `{}`; use \".\" or \",\"",
                    src.decimal_separator
                ));
            }
            if let Some(f) = src.date_format.as_deref().filter(|f| !date_format_round_trips(f)) {
                out.push(format!(
                    "{at}: date_format = `{f}` is not a date format that names a day, month and year (chrono's strftime: %Y%m%d, %d.%m.%y, %d-%b-%Y)"
                ));
            }
            if ![1900, 1904].contains(&src.excel_date_system) {
                out.push(format!("{at}: excel_date_system must be 1900 or 1904"));
            }
            match src.format {
                Format::Csv => {
                    if src.sheet.is_some() {
                        out.push(format!("{at}: `sheet` is for xlsx sources"));
                    }
                    if let Some(d) = &src.delimiter
                        && d != "tab"
                        && d.len() != 1
                    {
                        out.push(format!("{at}: delimiter must be one ASCII character or \"tab\""));
                    }
                }
                Format::Xlsx => {
                    if src.delimiter.is_some() || src.encoding != Encoding::Auto {
                        out.push(format!("{at}: `delimiter` and `encoding` are for csv sources"));
                    }
                }
            }
            if src.tables.is_empty() {
                out.push(format!("{at}: feeds no table"));
            }
            for (j, r) in src.reject.iter().enumerate() {
                r.problems(&format!("{at}: reject[{j}]"), &mut out);
            }
            if let Some(p) = &src.parent {
                match (src.format, &p.sheet, &p.file) {
                    (Format::Xlsx, Some(_), None) | (Format::Csv, None, Some(_)) => {}
                    (Format::Xlsx, _, _) => out.push(format!(
                        "{at}: parent: give the parent's `sheet` in the same workbook (and no `file`)"
                    )),
                    (Format::Csv, _, _) => out.push(format!(
                        "{at}: parent: give the parent's `file`, beside this one (and no `sheet`)"
                    )),
                }
                if p.header_row == 0 {
                    out.push(format!("{at}: parent.header_row counts from 1"));
                }
                if p.file.as_deref().is_some_and(|f| f.contains(['/', '\\']) || f == "..") {
                    out.push(format!("{at}: parent.file names a file beside this one, not a path"));
                }
                if p.sheet.as_ref() == src.sheet.as_ref() && p.sheet.is_some() {
                    out.push(format!("{at}: parent.sheet is this source's own sheet"));
                }
            }
            for (table, feed) in &src.tables {
                let Some(schema) = schemas.iter().find(|s| &s.table == table) else {
                    let names: Vec<_> = schemas.iter().map(|s| s.table.as_str()).collect();
                    out.push(format!("{at}: unknown table `{table}`{}", suggest(table, &names)));
                    continue;
                };
                feed_problems(&at, schema, feed, &mut out);
            }
        }
        out
    }
}

/// Problems of a feed's joins, patterns and routes: each canonical column
/// has one way in (mapped, constant, joined, patterned or routed), patterns
/// compile and fill something, and what they set is a value the column can
/// hold.
fn derived_problems(at: &str, schema: &TableSchema, feed: &TableFeed, out: &mut Vec<String>) {
    let table = &schema.table;
    let target = |col: &str, what: &str, out: &mut Vec<String>| match schema.column(col) {
        Some(c) if c.is_mappable() => true,
        Some(_) => {
            out.push(format!(
                "{at}: `{table}.{col}` is filled by tafteesh and cannot be {what}"
            ));
            false
        }
        None => {
            out.push(format!("{at}: {what} `{col}` is not a column of `{table}`"));
            false
        }
    };
    let mut ways: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for c in feed.columns.keys() {
        ways.entry(c.clone()).or_default().push("columns");
    }
    for c in feed.constants.keys() {
        ways.entry(c.clone()).or_default().push("constants");
    }
    for (col, j) in &feed.joined {
        if target(col, "joined", out) {
            ways.entry(col.clone()).or_default().push("joined");
        }
        if j.columns.len() < 2 || j.columns.iter().any(|h| h.trim().is_empty()) {
            out.push(format!(
                "{at}: joined.{col} must name two or more of the partner's columns"
            ));
        }
    }
    for (col, t) in &feed.templates {
        if target(col, "built from a template", out) {
            ways.entry(col.clone()).or_default().push("templates");
        }
        if let Err(why) = super::template::Template::parse(t) {
            out.push(format!("{at}: `{table}` templates.{col} = \"{t}\": {why}"));
        }
    }
    for (i, p) in feed.patterns.iter().enumerate() {
        let here = format!("{at}: `{table}` patterns[{i}] (over `{}`)", p.column);
        let re = match regex::Regex::new(&p.regex) {
            Ok(re) => re,
            Err(e) => {
                out.push(format!(
                    "{here}: match is not a regular expression ({})",
                    regex_error(&e)
                ));
                continue;
            }
        };
        if p.targets().is_empty() {
            out.push(format!(
                "{here}: the pattern fills nothing: name a group after a column, `(?<ahtu_unit>.+)`, or `set` one"
            ));
        }
        for t in re.capture_names().flatten() {
            target(t, "filled by a pattern", out);
        }
        for (col, v) in &p.set {
            if !target(col, "set by a pattern", out) {
                continue;
            }
            let spec = schema.column(col).expect("checked above");
            if spec.ty == ColumnType::Enum && !spec.values.contains(v) {
                out.push(format!(
                    "{here}: set.{col} = `{v}`, which is not one of {:?}",
                    spec.values
                ));
            }
        }
    }
    let mut patterned: Vec<String> = feed.patterns.iter().flat_map(|p| p.targets()).collect();
    patterned.sort();
    patterned.dedup();
    for col in patterned {
        ways.entry(col).or_default().push("patterns");
    }
    let mut routed: Vec<&str> = Vec::new();
    for (i, r) in feed.routes.iter().enumerate() {
        if target(&r.to, "routed", out) && !routed.contains(&r.to.as_str()) {
            routed.push(&r.to);
            ways.entry(r.to.clone()).or_default().push("routes");
        }
        r.when.problems(&format!("{at}: `{table}` routes[{i}].when"), out);
    }
    for (col, c) in &feed.choices {
        let here = format!("{at}: `{table}` choices.{col}");
        if target(col, "read from choices", out) {
            ways.entry(col.clone()).or_default().push("choices");
        }
        match (&c.column, &c.options) {
            (Some(_), Some(_)) | (None, None) => out.push(format!(
                "{here}: give `column` (the chosen options in one cell) or `options` (the prefix of one 1/0 column per option), one of them"
            )),
            (Some(h), None) | (None, Some(h)) if h.trim().is_empty() => {
                out.push(format!("{here}: names a blank column header"))
            }
            _ => {}
        }
        if c.separator.is_empty() {
            out.push(format!("{here}: separator is empty"));
        }
        if let Some(spec) = schema.column(col).filter(|s| s.ty == ColumnType::Enum) {
            for v in c.prefer.iter().chain(&c.otherwise).filter(|v| !spec.values.contains(v)) {
                out.push(format!("{here}: `{v}` is not one of {:?}", spec.values));
            }
        }
    }
    // (columns and constants together are reported above)
    let derived = |w: &Vec<&str>| {
        w.iter()
            .any(|x| ["joined", "templates", "patterns", "routes", "choices"].contains(x))
    };
    for (col, w) in ways.iter().filter(|(_, w)| w.len() > 1 && derived(w)) {
        out.push(format!(
            "{at}: `{table}.{col}` is given by {} at once; give it one way",
            w.join(" and ")
        ));
    }
}

/// The last line of a regex error: what is wrong, without the pattern
/// drawn above it.
fn regex_error(e: &regex::Error) -> String {
    e.to_string().lines().last().unwrap_or_default().to_string()
}

/// Whether `fmt` writes and reads back a whole date: it names a day, a
/// month and a year, and nothing chrono cannot parse.
fn date_format_round_trips(fmt: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error)) {
        return false;
    }
    let day = chrono::NaiveDate::from_ymd_opt(2021, 3, 14).expect("a real day");
    // A format naming a time (`%H`) cannot write a date: an error, not a panic.
    let mut text = String::new();
    if std::fmt::Write::write_fmt(&mut text, format_args!("{}", day.format(fmt))).is_err() {
        return false;
    }
    chrono::NaiveDate::parse_from_str(&text, fmt) == Ok(day)
}

fn feed_problems(at: &str, schema: &TableSchema, feed: &TableFeed, out: &mut Vec<String>) {
    let table = &schema.table;
    let mappable: Vec<&str> = schema
        .columns
        .iter()
        .filter(|c| c.is_mappable())
        .map(|c| c.name.as_str())
        .collect();
    let check_target = |col: &str, what: &str, out: &mut Vec<String>| -> bool {
        match schema.column(col) {
            None => {
                out.push(format!(
                    "{at}: {what} `{col}` is not a column of `{table}`{}",
                    suggest(col, &mappable)
                ));
                false
            }
            Some(c) if !c.is_mappable() => {
                out.push(format!(
                    "{at}: `{table}.{col}` is filled by tafteesh and cannot be mapped"
                ));
                false
            }
            Some(_) => true,
        }
    };
    for col in feed.columns.keys() {
        check_target(col, "mapped column", out);
        if feed.constants.contains_key(col) {
            out.push(format!("{at}: `{table}.{col}` is both mapped and constant"));
        }
    }
    for col in feed.constants.keys() {
        check_target(col, "constant for", out);
    }
    for (col, map) in &feed.values {
        if !check_target(col, "value map for", out) {
            continue;
        }
        let spec = schema.column(col).expect("checked above");
        match spec.ty {
            ColumnType::Enum => {
                for (code, v) in map {
                    if !spec.values.contains(v) {
                        out.push(format!(
                            "{at}: value map `{table}.{col}`: `{code}` -> `{v}`, which is not one of {:?}",
                            spec.values
                        ));
                    }
                }
            }
            ColumnType::Boolean => {
                for (code, v) in map {
                    if v != "true" && v != "false" {
                        out.push(format!(
                            "{at}: value map `{table}.{col}`: `{code}` -> `{v}`; use \"true\" or \"false\""
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(when) = &feed.when {
        when.problems(&format!("{at}: `{table}` when"), out);
    }
    for (col, d) in &feed.defaults {
        if !check_target(col, "default for", out) {
            continue;
        }
        if !feed.reads(col) {
            out.push(format!(
                "{at}: a default for `{table}.{col}`, which is not mapped to a column of the file"
            ));
        }
        let spec = schema.column(col).expect("checked above");
        let coded = |v: &str| feed.values.get(col).is_some_and(|m| m.contains_key(v));
        let ok = match spec.ty {
            ColumnType::Enum => spec.values.iter().any(|v| v == &d.value) || coded(&d.value),
            ColumnType::Boolean => ["true", "false"].contains(&d.value.as_str()) || coded(&d.value),
            _ => !d.value.trim().is_empty(),
        };
        if !ok {
            out.push(format!(
                "{at}: default for `{table}.{col}` = `{}` is not a value it can hold{}",
                d.value,
                if spec.ty == ColumnType::Enum {
                    format!(" (one of {:?}, or a code of its value map)", spec.values)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(when) = &d.when {
            when.problems(&format!("{at}: `{table}` defaults.{col}.when"), out);
        }
    }
    for (col, fmt) in &feed.formats {
        if !check_target(col, "format for", out) {
            continue;
        }
        if schema.column(col).is_some_and(|c| c.ty != ColumnType::Date) {
            out.push(format!("{at}: a format for `{table}.{col}`, which is not a date"));
        } else if !date_format_round_trips(fmt) {
            out.push(format!(
                "{at}: formats.{col} = `{fmt}` is not a date format that names a day, month and year (chrono's strftime: %Y%m%d, %d.%m.%y, %d-%b-%Y)"
            ));
        }
    }
    derived_problems(at, schema, feed, out);
    for c in schema.columns.iter().filter(|c| c.required && c.is_mappable()) {
        if !feed.reads(&c.name) && !feed.constants.contains_key(&c.name) {
            out.push(format!("{at}: required column `{table}.{}` is not mapped", c.name));
        }
    }
}

/// ", did you mean `x`?" when a close name exists.
pub fn suggest(name: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(", did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_format_must_name_a_whole_day_and_parse_what_it_writes() {
        for ok in ["%Y%m%d", "%d.%m.%y", "%d-%b-%Y", "%Y-%m-%d"] {
            assert!(date_format_round_trips(ok), "{ok}");
        }
        for bad in ["%Y%q%d", "%Y-%m", "%d/%m", "", "%Y%m%d %H"] {
            assert!(!date_format_round_trips(bad), "{bad}");
        }
    }

    #[test]
    fn a_condition_must_say_something_and_its_patterns_must_compile() {
        let mut out = Vec::new();
        RowCondition::default().problems("at", &mut out);
        assert_eq!(out, ["at: sets no condition (any_filled, equals or matches)"]);
        let mut out = Vec::new();
        let c = RowCondition {
            matches: [("Case".to_string(), "(FIR".to_string())].into(),
            ..Default::default()
        };
        c.problems("at", &mut out);
        assert!(
            out[0].starts_with("at.matches.\"Case\": not a regular expression"),
            "{out:?}"
        );
    }
}
