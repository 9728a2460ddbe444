//! Quarantined rows, with their plaintext: what a partner's data officer
//! opens to fix the export.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::SheetCsv;
use crate::clean::{Issue, rule_message};
use crate::error::{Error, Result};
use crate::extract::RawTable;
use crate::lake::write_parquet;

/// Quarantined rows, kept with their plaintext in the restricted area: a
/// CSV per partner file that its data officer can open (the file's real
/// name, the row, why, and the export's own columns; the CSV itself is
/// named by the file's alias, so no path of the area holds a file's
/// name), and one Parquet table of them all.
#[derive(Default)]
pub struct QuarantineRows {
    partner: Vec<String>,
    file: Vec<String>,
    real_file: Vec<String>,
    row: Vec<i64>,
    tables: Vec<String>,
    reasons: Vec<String>,
    raw_json: Vec<String>,
}

impl QuarantineRows {
    /// `file`: the file's alias and its real name.
    pub fn add(
        &mut self,
        partner: &str,
        (file, real_file): (&str, &str),
        raw: &RawTable,
        rows: &BTreeMap<usize, Vec<(String, Issue)>>,
        dir: &Path,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let path = crate::layout::quarantine_sheet(dir, file);
        let mut w = SheetCsv::create(&path)?;
        let mut header = vec!["_file".to_string(), "_row".into(), "_tables".into(), "_reasons".into()];
        header.extend(raw.headers.iter().cloned());
        w.row(&header)?;
        for (&r, errs) in rows {
            let mut tables: Vec<&str> = errs.iter().map(|(t, _)| t.as_str()).collect();
            tables.dedup();
            let reasons = errs
                .iter()
                .map(|(t, i)| format!("{t}.{}: {} ({})", i.field, rule_message(i.rule), i.rule))
                .collect::<Vec<_>>()
                .join("; ");
            let mut rec = vec![
                real_file.to_string(),
                raw.rows[r].to_string(),
                tables.join(","),
                reasons.clone(),
            ];
            rec.extend(raw.columns.iter().map(|c| c[r].clone()));
            w.row(&rec)?;
            let obj: serde_json::Map<String, serde_json::Value> = raw
                .headers
                .iter()
                .zip(&raw.columns)
                .map(|(h, c)| (h.clone(), c[r].clone().into()))
                .collect();
            self.partner.push(partner.into());
            self.file.push(file.into());
            self.real_file.push(real_file.into());
            self.row.push(raw.rows[r] as i64);
            self.tables.push(tables.join(","));
            self.reasons.push(reasons);
            self.raw_json.push(serde_json::Value::Object(obj).to_string());
        }
        w.finish()
    }

    pub fn finish(self, dir: &Path) -> Result<()> {
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("partner_id".into(), self.partner),
            Column::new("source_file".into(), self.file),
            Column::new("file_name".into(), self.real_file),
            Column::new("source_row".into(), self.row),
            Column::new("tables".into(), self.tables),
            Column::new("reasons".into(), self.reasons),
            Column::new("raw_json".into(), self.raw_json),
        ])
        .map_err(Error::frame("building quarantine"))?;
        write_parquet(&mut df, &crate::layout::quarantine_rows(dir))
    }
}
