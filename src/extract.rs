//! Extract: read one partner export into a table of text cells.
//!
//! Every cell is read as text (never let a reader guess types on messy
//! data); the cleaners parse it later with the partner's conventions. Rows
//! keep the row number a data officer sees in Excel or a text editor, so
//! every message can point back at the source.
//!
//! A problem with a whole file (undecodable bytes, a binary file, a missing
//! sheet, no header) is a [`FileError`]: that file stops, the run goes on.
//! File errors carry positions and settings, never cell values.

use std::path::Path;

use calamine::{Data, Reader};

use crate::config::pipeline::{Encoding, Format, Source};

/// One export as text cells, column-major. A blank cell is "".
#[derive(Debug, Default)]
pub struct RawTable {
    pub headers: Vec<String>,
    pub columns: Vec<Vec<String>>,
    /// The 1-based row number of each data row in the source.
    pub rows: Vec<u32>,
    /// Rows with no value in any cell: skipped, and counted. (Wholly empty
    /// CSV lines are not records at all and are not counted.)
    pub blank_rows: usize,
    /// Data rows (by index) that held more cells than the header has columns.
    pub ragged_rows: Vec<usize>,
    /// Notes about the file as a whole (encoding detected, header renamed).
    pub notes: Vec<String>,
}

impl RawTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Index of a header: exact, then ignoring case and surrounding space.
    pub fn column_index(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header).or_else(|| {
            let want = header.trim().to_lowercase();
            self.headers.iter().position(|h| h.trim().to_lowercase() == want)
        })
    }

    fn push_row(&mut self, row_number: u32, cells: Vec<String>) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            self.blank_rows += 1;
            return;
        }
        let width = self.headers.len();
        if cells.len() > width && cells[width..].iter().any(|c| !c.trim().is_empty()) {
            self.ragged_rows.push(self.rows.len());
        }
        let mut cells = cells.into_iter();
        for col in &mut self.columns {
            col.push(cells.next().unwrap_or_default());
        }
        self.rows.push(row_number);
    }

    fn set_headers(&mut self, raw: Vec<String>) {
        let mut seen = std::collections::HashMap::new();
        for (i, h) in raw.into_iter().enumerate() {
            let mut h = h.trim().trim_start_matches('\u{feff}').to_string();
            if h.is_empty() {
                h = format!("column {}", i + 1);
            }
            let n = seen.entry(h.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                self.notes.push(format!(
                    "header `{h}` appears {} times; later copies renamed `{h} ({n})`",
                    *n
                ));
                h = format!("{h} ({n})");
            }
            self.headers.push(h);
            self.columns.push(Vec::new());
        }
    }
}

/// Why a whole file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error("the file is empty")]
    Empty,
    #[error("this is not a text file (it holds binary data{0}); is it the right export?")]
    Binary(&'static str),
    #[error(
        "the bytes are not valid {declared} (first bad byte at offset {offset}); set `encoding` in the pipeline config (utf-8, utf-16, windows-1252)"
    )]
    Encoding { declared: &'static str, offset: usize },
    #[error("sheet `{sheet}` not found; the workbook has: {available}")]
    SheetNotFound { sheet: String, available: String },
    #[error("the workbook has no sheets")]
    NoSheets,
    #[error("not a readable XLSX workbook ({0})")]
    Workbook(String),
    #[error("no header at row {0}: the file has fewer rows")]
    NoHeader(usize),
    #[error("CSV syntax error at row {row}: {message}")]
    Csv { row: u64, message: String },
}

/// Read one file as the source describes.
pub fn read(path: &Path, source: &Source) -> Result<RawTable, FileError> {
    match source.format {
        Format::Csv => {
            let bytes = std::fs::read(path).map_err(|e| FileError::Unreadable(e.kind().to_string()))?;
            let (text, note) = decode(&bytes, source.encoding)?;
            let mut t = read_csv(&text, source.delimiter_byte(), source.header_row)?;
            t.notes.extend(note);
            Ok(t)
        }
        Format::Xlsx => read_xlsx(path, source.sheet.as_deref(), source.header_row),
    }
}

/// Decode CSV bytes to text. Returns a note when the encoding was guessed.
pub fn decode(bytes: &[u8], declared: Encoding) -> Result<(String, Option<String>), FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(FileError::Binary(", like an XLSX or ZIP file"));
    }
    let utf16 = |bytes: &[u8], enc: &'static encoding_rs::Encoding| {
        let (text, _, had_errors) = enc.decode(bytes);
        if had_errors {
            Err(FileError::Encoding {
                declared: "UTF-16",
                offset: 0,
            })
        } else {
            Ok(text.into_owned())
        }
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Ok((utf16(bytes, encoding_rs::UTF_16LE)?, None));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Ok((utf16(bytes, encoding_rs::UTF_16BE)?, None));
    }
    if declared == Encoding::Utf16 {
        return Ok((utf16(bytes, encoding_rs::UTF_16LE)?, None));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(FileError::Binary(""));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (declared, std::str::from_utf8(body)) {
        (Encoding::Windows1252, _) => Ok((encoding_rs::WINDOWS_1252.decode(body).0.into_owned(), None)),
        (_, Ok(s)) => Ok((s.to_string(), None)),
        (Encoding::Utf8, Err(e)) => Err(FileError::Encoding {
            declared: "UTF-8",
            offset: e.valid_up_to(),
        }),
        (_, Err(_)) => Ok((
            encoding_rs::WINDOWS_1252.decode(body).0.into_owned(),
            Some("not UTF-8; read as Windows-1252 (declare `encoding` to silence this)".into()),
        )),
    }
}

/// Parse decoded CSV text. `header_row` is 1-based; rows above it are titles.
pub fn read_csv(text: &str, delimiter: u8, header_row: usize) -> Result<RawTable, FileError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut t = RawTable::default();
    let mut have_header = false;
    // A row's number is the line its record starts on: what a text editor
    // (and, without multi-line cells, Excel) shows. The csv reader skips
    // blank lines and its own line count lags, so the line is worked out from
    // the byte offset where the record ends, less the line breaks inside it.
    let newlines: Vec<usize> = memchr_all(text.as_bytes(), b'\n');
    let line_of = |offset: usize| newlines.partition_point(|&n| n < offset) as u64 + 1;
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map(|p| line_of(p.byte() as usize)).unwrap_or(0);
                return Err(FileError::Csv {
                    row: at,
                    message: csv_error_kind(&e),
                });
            }
        }
        let end = rdr.position().byte() as usize;
        let inner_breaks = rec.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
        let row_number = line_of(end.saturating_sub(1)) - inner_breaks;
        if (row_number as usize) < header_row {
            continue;
        }
        let cells: Vec<String> = rec.iter().map(str::to_string).collect();
        if !have_header {
            t.set_headers(cells);
            have_header = true;
        } else {
            t.push_row(row_number as u32, cells);
        }
    }
    if !have_header {
        return Err(if header_row > 1 {
            FileError::NoHeader(header_row)
        } else {
            FileError::Empty
        });
    }
    Ok(t)
}

/// Offsets of every `byte` in `bytes`.
fn memchr_all(bytes: &[u8], byte: u8) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == byte)
        .map(|(i, _)| i)
        .collect()
}

/// The kind of a CSV error, without the bytes that caused it.
fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where {expected_len} expected")
        }
        _ => "unreadable record".into(),
    }
}

fn read_xlsx(path: &Path, sheet: Option<&str>, header_row: usize) -> Result<RawTable, FileError> {
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(io) => FileError::Unreadable(io.kind().to_string()),
        other => FileError::Workbook(xlsx_error_kind(&other)),
    })?;
    let names = wb.sheet_names().to_vec();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s || n.trim().eq_ignore_ascii_case(s.trim()))
            .cloned()
            .ok_or_else(|| FileError::SheetNotFound {
                sheet: s.to_string(),
                available: names.join(", "),
            })?,
        None => names.first().cloned().ok_or(FileError::NoSheets)?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| FileError::Workbook(xlsx_error_kind(&e)))?;
    let Some((first_row, _)) = range.start() else {
        return Err(FileError::Empty);
    };
    let mut t = RawTable::default();
    let mut have_header = false;
    for (i, row) in range.rows().enumerate() {
        let row_number = first_row as usize + i + 1;
        if row_number < header_row {
            continue;
        }
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if !have_header {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            t.set_headers(cells);
            have_header = true;
        } else {
            t.push_row(row_number as u32, cells);
        }
    }
    if !have_header {
        return Err(FileError::NoHeader(header_row));
    }
    Ok(t)
}

fn xlsx_error_kind(e: &calamine::Error) -> String {
    match e {
        calamine::Error::Io(io) => io.kind().to_string(),
        calamine::Error::Xlsx(_) => "corrupt or not an XLSX workbook".into(),
        calamine::Error::Msg(m) => (*m).to_string(),
        _ => "unsupported workbook".into(),
    }
}

/// A cell as text. Whole numbers lose Excel's ".0"; date cells become ISO.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => d.format("%Y-%m-%d").to_string(),
            Some(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_and_semicolons() {
        let (text, _) = decode(b"\xEF\xBB\xBFid;name\r\n1;a\r\n\r\n2;b\r\n", Encoding::Auto).unwrap();
        let t = read_csv(&text, b';', 1).unwrap();
        assert_eq!(t.headers, ["id", "name"]);
        assert_eq!(t.columns[1], ["a", "b"]);
        assert_eq!(t.rows, [2, 4], "row numbers are lines, blank lines included");
        let t = read_csv("id;name\n1;a\n;\n2;b\n", b';', 1).unwrap();
        assert_eq!(t.blank_rows, 1, "a row of empty cells is counted as blank");
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let t = read_csv("Partner register\n\nid,x\n1,2\n", b',', 3).unwrap();
        assert_eq!(t.headers, ["id", "x"]);
        assert_eq!(t.rows, [4]);
    }

    #[test]
    fn encodings() {
        let (s, note) = decode(b"a,b\n\x96,\xe9\n", Encoding::Auto).unwrap();
        assert_eq!(s, "a,b\n\u{2013},\u{e9}\n");
        assert!(note.is_some());
        assert!(matches!(
            decode(b"a\n\xff", Encoding::Utf8),
            Err(FileError::Encoding { .. })
        ));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a\tb\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&utf16, Encoding::Auto).unwrap().0, "a\tb\n");
        assert!(matches!(
            decode(b"PK\x03\x04rest", Encoding::Auto),
            Err(FileError::Binary(_))
        ));
        assert_eq!(decode(b"  \n", Encoding::Auto), Err(FileError::Empty));
    }

    #[test]
    fn duplicate_and_blank_headers_are_renamed_and_ragged_rows_marked() {
        let t = read_csv("a,a,\n1,2,3,4\n", b',', 1).unwrap();
        assert_eq!(t.headers, ["a", "a (2)", "column 3"]);
        assert_eq!(t.ragged_rows, [0]);
    }
}
