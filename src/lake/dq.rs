//! The lake's data-quality tables, built row by row as a partner's files
//! are cleaned: `dq_issues` (findings, without values), `dq_fields` (the
//! per-field scorecard) and `dq_unknown_places` (the shape of each place
//! spelling the gazetteer lacks, never the spelling).

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::clean::{Issue, rule_message};
use crate::error::{Error, Result};
use crate::extract::RawTable;

/// Data-quality findings, without values, for the lake's `dq_issues` table.
#[derive(Default)]
pub struct IssueRows {
    partner: Vec<String>,
    file: Vec<String>,
    row: Vec<i64>,
    table: Vec<String>,
    field: Vec<String>,
    rule: Vec<&'static str>,
    severity: Vec<&'static str>,
    message: Vec<String>,
}

impl IssueRows {
    pub fn add(&mut self, partner: &str, file: &str, table: &str, raw: &RawTable, issues: &[Issue]) {
        for i in issues {
            self.partner.push(partner.to_string());
            self.file.push(file.to_string());
            self.row.push(raw.rows[i.row_index] as i64);
            self.table.push(table.to_string());
            self.field.push(i.field.clone());
            self.rule.push(i.rule);
            self.severity.push(i.severity.as_str());
            self.message.push(rule_message(i.rule).to_string());
        }
    }

    pub fn finish(self) -> Result<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("source_row".into(), self.row),
            Column::new("table_name".into(), self.table),
            Column::new("field".into(), self.field),
            Column::new("rule_id".into(), self.rule),
            Column::new("severity".into(), self.severity),
            Column::new("message".into(), self.message),
        ])
        .map_err(Error::frame("building dq_issues"))
    }
}

/// The leading columns of the per-file data-quality tables: which partner,
/// file and table a row is about.
#[derive(Default)]
struct FileTableKeys {
    partner: Vec<String>,
    file: Vec<String>,
    table: Vec<String>,
}

impl FileTableKeys {
    fn push(&mut self, partner: &str, file: &str, table: &str) {
        self.partner.push(partner.to_string());
        self.file.push(file.to_string());
        self.table.push(table.to_string());
    }

    /// The key columns, then `rest`, as one frame.
    fn frame(self, rest: Vec<Column>, what: &str) -> Result<DataFrame> {
        let mut cols = vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("table_name".into(), self.table),
        ];
        cols.extend(rest);
        DataFrame::new_infer_height(cols).map_err(Error::frame(format!("building {what}")))
    }
}

/// The per-field scorecard rows, for the lake's `dq_fields` table.
#[derive(Default)]
pub struct ScoreRows {
    keys: FileTableKeys,
    field: Vec<String>,
    records: Vec<i64>,
    filled: Vec<i64>,
    invalid: Vec<i64>,
    inconsistent: Vec<i64>,
    duplicate: Vec<i64>,
}

impl ScoreRows {
    pub fn add(&mut self, partner: &str, file: &str, table: &str, scores: &[crate::clean::contract::FieldScore]) {
        for s in scores {
            self.keys.push(partner, file, table);
            self.field.push(s.field.clone());
            self.records.push(s.records as i64);
            self.filled.push(s.filled as i64);
            self.invalid.push(s.invalid as i64);
            self.inconsistent.push(s.inconsistent as i64);
            self.duplicate.push(s.duplicate as i64);
        }
    }

    pub fn finish(self) -> Result<DataFrame> {
        let rest = vec![
            Column::new("field".into(), self.field),
            Column::new("records".into(), self.records),
            Column::new("filled".into(), self.filled),
            Column::new("invalid".into(), self.invalid),
            Column::new("inconsistent".into(), self.inconsistent),
            Column::new("duplicate".into(), self.duplicate),
        ];
        self.keys.frame(rest, "dq_fields")
    }
}

/// Place spellings the gazetteer lacks. The lake's `dq_unknown_places`
/// (published) gets each spelling's shape and counts; the spellings
/// themselves, which may be anything a person typed into a place cell, go
/// to `unknown_places.csv` beside the partner's quarantine (see
/// [`crate::restricted`]), for its data officer.
#[derive(Default)]
pub struct PlaceRows {
    keys: FileTableKeys,
    field: Vec<String>,
    shape: Vec<String>,
    records: Vec<i64>,
    /// (real file name, table, field, as written, records): restricted.
    written: Vec<[String; 5]>,
}

impl PlaceRows {
    /// `file`: the published name and the real one (for the data officer).
    pub fn add(&mut self, partner: &str, file: (&str, &str), table: &str, places: &[crate::clean::UnknownPlace]) {
        let (file, real_file) = file;
        let mut by_shape: BTreeMap<(&str, String), usize> = BTreeMap::new();
        for p in places {
            *by_shape
                .entry((p.field.as_str(), crate::clean::shape(&p.written)))
                .or_default() += p.records;
            self.written.push([
                real_file.to_string(),
                table.to_string(),
                p.field.clone(),
                p.written.clone(),
                p.records.to_string(),
            ]);
        }
        for ((field, shape), records) in by_shape {
            self.keys.push(partner, file, table);
            self.field.push(field.to_string());
            self.shape.push(shape);
            self.records.push(records as i64);
        }
    }

    /// The published frame, and the spellings as written (real file name,
    /// table, field, spelling, records) for the restricted area.
    pub fn finish(self) -> Result<(DataFrame, Vec<[String; 5]>)> {
        let rest = vec![
            Column::new("field".into(), self.field),
            Column::new("shape".into(), self.shape),
            Column::new("records".into(), self.records),
        ];
        Ok((self.keys.frame(rest, "dq_unknown_places")?, self.written))
    }
}
