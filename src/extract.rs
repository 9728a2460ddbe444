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

    /// Add a data row. Cells are trimmed here, once: surrounding white space
    /// (an Excel habit, and a no-break space from web forms) is never data,
    /// and every later stage reads each cell several times.
    fn push_row(&mut self, row_number: u32, mut cells: Vec<String>) {
        for c in &mut cells {
            trim_in_place(c);
        }
        if cells.iter().all(String::is_empty) {
            self.blank_rows += 1;
            return;
        }
        let width = self.headers.len();
        if cells.len() > width && cells[width..].iter().any(|c| !c.is_empty()) {
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

/// Trim a cell without a new allocation when (as usual) there is nothing to trim.
fn trim_in_place(c: &mut String) {
    let ends_in_space = |c: &String| {
        c.chars().next().is_some_and(char::is_whitespace) || c.chars().next_back().is_some_and(char::is_whitespace)
    };
    if ends_in_space(c) {
        *c = c.trim().to_string();
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
    #[error(
        "the pipeline config declares `encoding = \"{declared}\"` but the file is {found}; correct `encoding` (or remove it to detect)"
    )]
    DeclaredEncoding {
        declared: &'static str,
        found: &'static str,
    },
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
            let (delimiter, sniffed) = match source.delimiter_byte() {
                Some(d) => (d, None),
                None => match sniff_delimiter(&text, source.header_row) {
                    b',' => (b',', None),
                    d => (
                        d,
                        Some(format!(
                            "no `delimiter` declared; the header row is {}-separated (declare it to silence this)",
                            if d == b'\t' { "tab" } else { "semicolon" }
                        )),
                    ),
                },
            };
            let mut t = read_csv(&text, delimiter, source.header_row)?;
            t.notes.extend(note);
            t.notes.extend(sniffed);
            Ok(t)
        }
        Format::Xlsx => read_xlsx(path, source.sheet.as_deref(), source.header_row),
    }
}

/// The delimiter of a CSV whose config does not declare one: whichever of
/// `,`, `;` and tab occurs most often, outside quotes, in the header row (or
/// the first non-blank line after it). Ties and a one-column file give `,`.
pub fn sniff_delimiter(text: &str, header_row: usize) -> u8 {
    let line = text
        .lines()
        .skip(header_row.saturating_sub(1))
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .rev()
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// UTF-16 without a byte-order mark, recognised by its zero bytes: ASCII
/// (digits, delimiters, line ends) in UTF-16 is one zero byte per character,
/// always on the same side. Returns the encoding, or `None`.
fn utf16_by_pattern(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zeros_at = |side: usize| head.chunks_exact(2).filter(|p| p[side] == 0).count();
    let (low, high) = (zeros_at(0), zeros_at(1));
    if high * 5 >= pairs && low * 10 <= high {
        Some(encoding_rs::UTF_16LE)
    } else if low * 5 >= pairs && high * 10 <= low {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Decode CSV bytes to text. Returns a note when the encoding was guessed.
///
/// A declared encoding is a promise about the file. When the bytes plainly
/// break it (a UTF-16 file declared UTF-8, a UTF-8 file declared
/// Windows-1252) the file stops with [`FileError::DeclaredEncoding`] rather
/// than being read as mojibake: names garbled that way would silently fail
/// to link and districts would fail to match.
pub fn decode(bytes: &[u8], declared: Encoding) -> Result<(String, Option<String>), FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(FileError::Binary(", like an XLSX or ZIP file"));
    }
    let utf16 = |bytes: &[u8], enc: &'static encoding_rs::Encoding| {
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            Err(FileError::Encoding {
                declared: "UTF-16",
                offset: 0,
            })
        } else {
            Ok(text.into_owned())
        }
    };
    let contradicts = |found: &'static str| match declared {
        Encoding::Utf8 => Err(FileError::DeclaredEncoding {
            declared: "utf-8",
            found,
        }),
        Encoding::Windows1252 => Err(FileError::DeclaredEncoding {
            declared: "windows-1252",
            found,
        }),
        Encoding::Utf16 => Err(FileError::DeclaredEncoding {
            declared: "utf-16",
            found,
        }),
        Encoding::Auto => Ok(()),
    };
    let bom16 = if bytes.starts_with(&[0xFF, 0xFE]) {
        Some(encoding_rs::UTF_16LE)
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    };
    if let Some(enc) = bom16 {
        if declared != Encoding::Utf16 {
            contradicts("UTF-16 (it starts with a UTF-16 byte-order mark)")?;
        }
        return Ok((utf16(bytes, enc)?, None));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(enc) = utf16_by_pattern(head) {
        return match declared {
            Encoding::Utf16 => Ok((utf16(bytes, enc)?, None)),
            _ => {
                contradicts("UTF-16 (every other byte is zero)")?;
                Ok((
                    utf16(bytes, enc)?,
                    Some(format!(
                        "no byte-order mark; read as {} (declare `encoding` to silence this)",
                        enc.name()
                    )),
                ))
            }
        };
    }
    if declared == Encoding::Utf16 {
        contradicts("not UTF-16 (no byte-order mark, and no zero bytes between characters)")?;
    }
    if head.contains(&0) {
        return Err(FileError::Binary(""));
    }
    let (body, utf8_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let utf8 = std::str::from_utf8(body);
    match declared {
        Encoding::Windows1252 => {
            if utf8_bom {
                contradicts("UTF-8 (it starts with a UTF-8 byte-order mark)")?;
            }
            if utf8.is_ok() && !body.is_ascii() {
                contradicts("UTF-8 (its accented or Bengali letters are valid UTF-8 sequences)")?;
            }
            Ok((encoding_rs::WINDOWS_1252.decode(body).0.into_owned(), None))
        }
        Encoding::Utf8 => match utf8 {
            Ok(s) => Ok((s.to_string(), None)),
            Err(e) => Err(FileError::Encoding {
                declared: "UTF-8",
                offset: e.valid_up_to() + usize::from(utf8_bom) * 3,
            }),
        },
        _ => match utf8 {
            Ok(s) => Ok((s.to_string(), None)),
            Err(_) => Ok((
                encoding_rs::WINDOWS_1252.decode(body).0.into_owned(),
                Some("not UTF-8; read as Windows-1252 (declare `encoding` to silence this)".into()),
            )),
        },
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

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let bom = if bom { vec![0xFF, 0xFE] } else { vec![] };
        bom.into_iter()
            .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect()
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_recognised() {
        let text = "ID\tনাম\tDistrict\n1\tরহিমা\tনদিয়া\n";
        let (s, note) = decode(&utf16le(text, false), Encoding::Auto).unwrap();
        assert_eq!(s, text);
        assert!(note.unwrap().contains("UTF-16LE"));
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&be, Encoding::Auto).unwrap().0, text);
        assert_eq!(
            decode(&utf16le(text, false), Encoding::Utf16).unwrap(),
            (text.to_string(), None)
        );
    }

    #[test]
    fn a_declared_encoding_the_bytes_contradict_stops_the_file() {
        let declared = |bytes: &[u8], enc| match decode(bytes, enc) {
            Err(FileError::DeclaredEncoding { declared, found }) => Some((declared, found)),
            _ => None,
        };
        let utf16 = utf16le("a,b\n1,2\n", true);
        assert_eq!(declared(&utf16, Encoding::Utf8).unwrap().0, "utf-8");
        assert!(
            declared(&utf16, Encoding::Windows1252)
                .unwrap()
                .1
                .contains("byte-order mark")
        );
        assert!(declared(&utf16le("a,b\n1,2\n", false), Encoding::Utf8).is_some());
        let bengali = "a,b\n1,নদিয়া\n".as_bytes();
        assert!(declared(bengali, Encoding::Windows1252).unwrap().1.starts_with("UTF-8"));
        assert!(declared(b"\xEF\xBB\xBFa,b\n", Encoding::Windows1252).is_some());
        assert!(
            declared(b"a,b\n1,2\n", Encoding::Utf16)
                .unwrap()
                .1
                .starts_with("not UTF-16")
        );
        // Plain ASCII fits every 8-bit declaration, and 1252 bytes fit theirs.
        assert!(decode(b"a,b\n1,2\n", Encoding::Windows1252).is_ok());
        assert!(decode(b"a,b\n1,\xe9\n", Encoding::Windows1252).is_ok());
        // The message names the setting, never the bytes.
        let msg = decode(&utf16, Encoding::Utf8).unwrap_err().to_string();
        assert!(
            msg.contains("`encoding = \"utf-8\"`") && msg.contains("UTF-16"),
            "{msg}"
        );
    }

    #[test]
    fn an_undeclared_delimiter_is_read_from_the_header_row() {
        assert_eq!(sniff_delimiter("id;name;\"a,b\"\n1;x;y\n", 1), b';');
        assert_eq!(sniff_delimiter("id\tname\tdistrict\n", 1), b'\t');
        assert_eq!(sniff_delimiter("Title, with a comma\nid;name\n", 2), b';');
        assert_eq!(
            sniff_delimiter("\"a;b\",c\n", 1),
            b',',
            "quoted semicolons do not count"
        );
        assert_eq!(sniff_delimiter("id\n1\n", 1), b',');
        assert_eq!(sniff_delimiter("", 1), b',');
    }

    #[test]
    fn cells_are_trimmed_once_when_read() {
        let t = read_csv("a,b\n  x ,\u{a0}\n\u{a0}, \n", b',', 1).unwrap();
        assert_eq!(t.columns[0], ["x"]);
        assert_eq!(t.columns[1], [""]);
        assert_eq!(t.blank_rows, 1, "a row of only spaces is blank");
    }

    #[test]
    fn duplicate_and_blank_headers_are_renamed_and_ragged_rows_marked() {
        let t = read_csv("a,a,\n1,2,3,4\n", b',', 1).unwrap();
        assert_eq!(t.headers, ["a", "a (2)", "column 3"]);
        assert_eq!(t.ragged_rows, [0]);
    }
}
