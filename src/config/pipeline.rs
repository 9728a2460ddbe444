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

#[derive(Debug, Clone, Deserialize)]
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
    /// Canonical table name -> how this source feeds it.
    pub tables: BTreeMap<String, TableFeed>,
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
    for c in schema.columns.iter().filter(|c| c.required && c.is_mappable()) {
        if !feed.columns.contains_key(&c.name) && !feed.constants.contains_key(&c.name) {
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
