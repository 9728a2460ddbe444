//! File writers: a partner's sheets as CSV (its delimiter, encoding, BOM
//! and line ends) or XLSX (date cells, title rows), and the truth files.

use super::*;

/// A cell as the partner's tool stores it.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    S(String),
    N(f64),
    D(NaiveDate),
}

/// One sheet (or the whole of a CSV file) of a partner's export.
pub(super) struct Sheet<'a> {
    pub(super) source: &'a Source,
    pub(super) headers: Vec<String>,
    pub(super) rows: Vec<Vec<Cell>>,
    /// The registration date of each row's survivor.
    pub(super) registered: Vec<NaiveDate>,
}

impl Sheet<'_> {
    pub(super) fn registered_before(&self, cutoff: NaiveDate) -> Self {
        let keep = |i: &usize| self.registered[*i] < cutoff;
        Sheet {
            source: self.source,
            headers: self.headers.clone(),
            rows: (0..self.rows.len())
                .filter(keep)
                .map(|i| self.rows[i].clone())
                .collect(),
            registered: (0..self.rows.len()).filter(keep).map(|i| self.registered[i]).collect(),
        }
    }
}

pub(super) fn cell_text(c: &Cell) -> String {
    match c {
        Cell::S(s) => s.clone(),
        Cell::N(n) => format!("{n:.0}"),
        Cell::D(d) => d.format("%d/%m/%Y").to_string(),
    }
}

pub(super) fn write_csv(path: &Path, style: &Style, sheet: &Sheet<'_>) -> Result<()> {
    let src = sheet.source;
    let mut w = csv::WriterBuilder::new()
        .delimiter(src.delimiter_byte().unwrap_or(b','))
        .terminator(if style.bom_crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::io(path)(e.into());
    w.write_record(&sheet.headers).map_err(io)?;
    for r in &sheet.rows {
        w.write_record(r.iter().map(cell_text)).map_err(io)?;
    }
    let text = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    let mut bytes = Vec::new();
    if style.bom_crlf {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if src.encoding == crate::config::pipeline::Encoding::Windows1252 {
        let s = String::from_utf8(text).map_err(|e| Error::Internal(e.to_string()))?;
        bytes.extend_from_slice(&encoding_rs::WINDOWS_1252.encode(&s).0);
    } else {
        bytes.extend(text);
    }
    std::fs::write(path, bytes).map_err(Error::io(path))
}

pub(super) fn write_xlsx(path: &Path, sheets: &[Sheet<'_>]) -> Result<()> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for sheet in sheets {
        let src = sheet.source;
        let ws = wb.add_worksheet();
        ws.set_name(src.sheet.as_deref().unwrap_or("Sheet1")).map_err(x)?;
        let top = (src.header_row - 1) as u32;
        if top > 0 {
            ws.write_string(0, 0, format!("{} — {}", src.name, "register"))
                .map_err(x)?;
        }
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string(top, c as u16, h.as_str()).map_err(x)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let rn = top + 1 + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::S(s) if s.is_empty() => {}
                    Cell::S(s) => {
                        ws.write_string(rn, c, s.as_str()).map_err(x)?;
                    }
                    Cell::N(n) => {
                        ws.write_number(rn, c, *n).map_err(x)?;
                    }
                    Cell::D(d) => {
                        let dt =
                            rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                                .map_err(x)?;
                        ws.write_datetime_with_format(rn, c, &dt, &date_fmt).map_err(x)?;
                    }
                }
            }
        }
    }
    wb.save(path).map_err(x)
}

pub(super) fn write_truth(path: &Path, rows: &[TruthRow]) -> Result<()> {
    let mut cols: Vec<String> = rows.iter().flat_map(|r| r.values.keys().cloned()).collect();
    cols.sort();
    cols.dedup();
    let lead = [
        "partner_id",
        "true_ref",
        "expected_status",
        "person_id",
        "case_id",
        "claim_id",
        "corrupt_fields",
    ];
    let mut order: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
    order.extend(cols.into_iter().filter(|c| !lead.contains(&c.as_str())));
    let io = |e: csv::Error| Error::io(path)(e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(&order).map_err(io)?;
    for r in rows {
        w.write_record(order.iter().map(|c| r.values.get(c).map(String::as_str).unwrap_or("")))
            .map_err(io)?;
    }
    w.flush().map_err(Error::io(path))
}

/// `truth/entities.csv`: how many distinct people, cases and claims the
/// partners recorded (`recorded`), and how many of them at least one kept
/// record holds (`kept`): what the warehouse's linked entities should count.
pub(super) fn write_entities(path: &Path, truth: &BTreeMap<&str, Vec<TruthRow>>) -> Result<()> {
    let io = |e: csv::Error| Error::io(path)(e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(["entity", "table", "recorded", "kept"]).map_err(io)?;
    for (entity, table, id) in [
        ("people", "survivors", "person_id"),
        ("cases", "cases", "case_id"),
        ("claims", "compensation_claims", "claim_id"),
    ] {
        let rows = truth.get(table).map(Vec::as_slice).unwrap_or_default();
        let ids = |kept_only: bool| {
            rows.iter()
                .filter(|r| !kept_only || r.values.get("expected_status").is_some_and(|s| s == "kept"))
                .filter_map(|r| r.values.get(id))
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        };
        w.write_record([entity, table, &ids(false).to_string(), &ids(true).to_string()])
            .map_err(io)?;
    }
    w.flush().map_err(Error::io(path))
}
