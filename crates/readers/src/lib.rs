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
//!
//! Partners' files are hostile input: a stray quote, a lone-CR line end, a
//! header row of 200,000 cells, a workbook with one value in its last cell
//! (XFD1048576). Every size is bounded before it is allocated
//! ([`MAX_COLUMNS`], [`MAX_RECORD_BYTES`], [`MAX_CELLS`]), and a row whose
//! cells do not fit its header is marked ragged rather than read under the
//! wrong headers. The readers are a crate of their own (no polars, no
//! DuckDB) so `cargo fuzz` can build them in seconds (see `fuzz/`).

use std::io::{Read, Seek};
use std::path::Path;

use calamine::{Data, Reader};
use serde::Deserialize;

/// The kinds of export a source may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Xlsx,
}

/// Text encodings a CSV export may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Encoding {
    /// A byte-order mark decides; otherwise UTF-8 if valid, else Windows-1252.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    #[serde(rename = "utf-16", alias = "utf16")]
    Utf16,
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
}

/// How to read one file: what a pipeline source says about it.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub format: Option<Format>,
    pub encoding: Encoding,
    /// None: detected from the header row.
    pub delimiter: Option<u8>,
    /// 1-based row of the header; rows above it are titles.
    pub header_row: usize,
    /// XLSX sheet; the first when None.
    pub sheet: Option<String>,
}

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
    /// Data rows (by index) whose cells do not fit the header: more cells
    /// with something in them than the header has columns, or fewer cells.
    /// A shifted row (a stray quote, a delimiter typed into a cell) must not
    /// be read with its values under the wrong headers.
    pub ragged_rows: Vec<usize>,
    /// The line of the last row when the file ends in the middle of it (no
    /// line break after a row with fewer cells than the header): the export
    /// looks cut short, as a partial upload is.
    pub cut_short: Option<u32>,
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
        let extra = cells.len() > width && cells[width..].iter().any(|c| !c.is_empty());
        if extra || cells.len() < width {
            self.ragged_rows.push(self.rows.len());
        }
        let mut cells = cells.into_iter();
        for col in &mut self.columns {
            col.push(cells.next().unwrap_or_default());
        }
        self.rows.push(row_number);
    }

    /// Take the header row. A blank header becomes `column N`; a repeated one
    /// gets ` (2)`, ` (3)`... The note about it names columns by position,
    /// never by their text: an export saved without its header row has a
    /// record (a name, a phone) where the headers should be, and notes reach
    /// the log and the published run summary.
    fn set_headers(&mut self, raw: Vec<String>) -> Result<(), FileError> {
        if raw.len() > MAX_COLUMNS {
            return Err(FileError::TooWide {
                columns: raw.len(),
                max: MAX_COLUMNS,
            });
        }
        let mut first_at: std::collections::HashMap<String, (usize, usize)> = std::collections::HashMap::new();
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        for (i, h) in raw.into_iter().enumerate() {
            let mut h = h.trim().trim_start_matches('\u{feff}').to_string();
            if h.is_empty() {
                h = format!("column {}", i + 1);
            }
            let (first, n) = first_at.entry(h.clone()).or_insert((i, 0));
            *n += 1;
            if *n > 1 {
                repeats.push((i + 1, *first + 1));
            }
            // `a (2)` may itself be a header of the file: count on until free.
            let mut k = *n;
            let mut name = if k > 1 { format!("{h} ({k})") } else { h.clone() };
            while !taken.insert(name.clone()) {
                k += 1;
                name = format!("{h} ({k})");
            }
            self.headers.push(name);
            self.columns.push(Vec::new());
        }
        if !repeats.is_empty() {
            const SHOWN: usize = 5;
            let listed: Vec<String> = repeats
                .iter()
                .take(SHOWN)
                .map(|(at, first)| format!("column {at} repeats column {first}"))
                .collect();
            let more = repeats.len().saturating_sub(SHOWN);
            self.notes.push(format!(
                "{} header(s) repeat an earlier one and were renamed with ` (2)`, ` (3)`...: {}{}{}",
                repeats.len(),
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                },
                if repeats.len() * 2 > self.headers.len() {
                    "; most headers repeat, so the header row may be a record: was the export saved without its header?"
                } else {
                    ""
                }
            ));
        }
        Ok(())
    }

    /// A note for the rows that do not fit the header, by line (line
    /// numbers are not personal).
    fn note_ragged(&mut self) {
        if self.ragged_rows.is_empty() {
            return;
        }
        const SHOWN: usize = 10;
        let lines: Vec<String> = self
            .ragged_rows
            .iter()
            .take(SHOWN)
            .map(|&i| self.rows[i].to_string())
            .collect();
        let more = self.ragged_rows.len().saturating_sub(SHOWN);
        self.notes.push(format!(
            "{} row(s) do not have one cell per header column (quarantined): line {}{}",
            self.ragged_rows.len(),
            lines.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
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
    #[error("the header row has {columns} columns, more than the {max} a spreadsheet can hold; is `header_row` right?")]
    TooWide { columns: usize, max: usize },
    #[error("row {row} is {bytes} bytes long, more than the {max} bytes a record may take; is the delimiter right?")]
    RowTooLong { row: u64, bytes: usize, max: usize },
    #[error(
        "a quoted cell opened at line {line} never closes: the file may be cut short, or a cell starts with a stray `\"`; fix the cell at line {line} (or re-export the file)"
    )]
    QuoteNeverCloses { line: u64 },
    #[error(
        "a quoted cell opened at line {line} runs on to line {until}, swallowing lines that look like rows: a cell starts with a stray `\"`; fix the cell at line {line}"
    )]
    QuoteSwallowsRows { line: u64, until: u64 },
    #[error("the sheet spans {rows} rows by {columns} headed columns, more than {max} cells; is it the right export?")]
    TooManyCells { rows: usize, columns: usize, max: usize },
}

/// The most columns a header may have: Excel's own limit (XFD).
pub const MAX_COLUMNS: usize = 16_384;
/// The longest record a CSV may hold, in bytes. A real record is a few
/// kilobytes; a longer one is a file read with the wrong delimiter or line
/// ends, or no table at all.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most cells a sheet is read into (rows by headed columns).
pub const MAX_CELLS: usize = 100_000_000;

/// Read one file as `opts` describe.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<RawTable, FileError> {
    let bytes = std::fs::read(path).map_err(|e| FileError::Unreadable(e.kind().to_string()))?;
    read_bytes(&bytes, opts)
}

/// Read a file's bytes as `opts` describe (the fuzz targets' entry).
pub fn read_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<RawTable, FileError> {
    match opts.format.unwrap_or(Format::Csv) {
        Format::Csv => read_csv_bytes(bytes, opts),
        // A workbook is a compressed archive: held whole, it is small.
        Format::Xlsx => {
            // calamine can panic on a malformed workbook (fuzzing found a
            // cell reference of many letters overflowing its column
            // arithmetic): that is this file's error, never the night's.
            std::panic::catch_unwind(|| read_xlsx(std::io::Cursor::new(bytes), opts.sheet.as_deref(), opts.header_row))
                .unwrap_or_else(|_| {
                    Err(FileError::Workbook(
                        "the workbook is malformed (its reader failed on it)".into(),
                    ))
                })
        }
    }
}

/// Decode, find the delimiter, and parse a CSV.
fn read_csv_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<RawTable, FileError> {
    let header_row = opts.header_row.max(1);
    let (text, note) = decode(bytes, opts.encoding)?;
    let (delimiter, sniffed) = match opts.delimiter {
        Some(d) => (d, None),
        None => match sniff_delimiter(&text, header_row) {
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
    let mut t = read_csv(&text, delimiter, header_row)?;
    t.notes.extend(note);
    t.notes.extend(sniffed);
    Ok(t)
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
///
/// Line ends may be LF, CRLF or a lone CR (Excel's "CSV (Macintosh)"). A
/// quote that never closes, or closes only after swallowing lines that look
/// like rows, stops the file: read as the csv crate would read it, every
/// later value would sit under the wrong header.
pub fn read_csv(text: &str, delimiter: u8, header_row: usize) -> Result<RawTable, FileError> {
    let bytes = text.as_bytes();
    // A row's number is the line its record starts on: what a text editor
    // (and, without multi-line cells, Excel) shows. The csv reader skips
    // blank lines and its own line count lags, so the line is worked out from
    // the byte offset where the record ends, less the line breaks inside it.
    let breaks = line_breaks(bytes);
    let line_of = |offset: usize| breaks.partition_point(|&n| n < offset) as u64 + 1;
    if let Some(open) = quote_open_at_end(bytes, delimiter) {
        return Err(FileError::QuoteNeverCloses { line: line_of(open) });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut t = RawTable::default();
    let mut have_header = false;
    let mut rec = csv::StringRecord::new();
    loop {
        let start = rdr.position().byte() as usize;
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
        let inner_breaks = rec.iter().map(|f| count_breaks(f.as_bytes()) as u64).sum::<u64>();
        let row_number = line_of(end.saturating_sub(1)) - inner_breaks;
        if end - start > MAX_RECORD_BYTES {
            return Err(FileError::RowTooLong {
                row: row_number,
                bytes: end - start,
                max: MAX_RECORD_BYTES,
            });
        }
        if (row_number as usize) < header_row {
            continue;
        }
        if have_header
            && inner_breaks > 0
            && let Some(until) = swallowed_rows(&rec, delimiter, t.headers.len())
        {
            return Err(FileError::QuoteSwallowsRows {
                line: row_number,
                until: row_number + until,
            });
        }
        let cells: Vec<String> = rec.iter().map(str::to_string).collect();
        if !have_header {
            t.set_headers(cells)?;
            have_header = true;
        } else {
            let short = cells.len() < t.headers.len();
            t.push_row(row_number as u32, cells);
            // The file stops inside this row: fewer cells than the header and
            // no line break after them. The last line of a complete export
            // may lack its line break, but not its last cells.
            let ends_in_break = || bytes[..end].last().is_some_and(|b| matches!(b, b'\n' | b'\r'));
            let at_end = || bytes[end..].iter().all(|b| b.is_ascii_whitespace());
            if short && t.rows.last() == Some(&(row_number as u32)) && !ends_in_break() && at_end() {
                t.cut_short = Some(row_number as u32);
            }
        }
    }
    if !have_header {
        return Err(if header_row > 1 {
            FileError::NoHeader(header_row)
        } else {
            FileError::Empty
        });
    }
    t.note_ragged();
    if let Some(line) = t.cut_short {
        t.notes.push(format!(
            "the file ends in the middle of line {line} (fewer cells than the header, no line break): it looks cut short, like an upload that did not finish"
        ));
    }
    Ok(t)
}

/// Offsets of the line breaks in `bytes`: every LF, and every CR not
/// followed by an LF (a CRLF is one break, at its LF).
fn line_breaks(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len()).filter(|&i| is_break(bytes, i)).collect()
}

/// How many line breaks [`line_breaks`] finds, without listing them: run on
/// every cell of every record.
fn count_breaks(bytes: &[u8]) -> usize {
    (0..bytes.len()).filter(|&i| is_break(bytes, i)).count()
}

/// Is `bytes[i]` a line break: an LF, or a CR not followed by an LF.
fn is_break(bytes: &[u8], i: usize) -> bool {
    bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Where a quote opens that is still open at the end of the text, read as
/// the csv crate reads it: a quote opens a cell only as its first byte, a
/// doubled quote inside is a literal one, and the cell ends at its closing
/// quote.
fn quote_open_at_end(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut field_start = true;
    let mut open: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match open {
            Some(_) => {
                if b == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 1;
                    } else {
                        open = None;
                    }
                }
            }
            None => {
                if b == b'"' && field_start {
                    open = Some(i);
                }
                field_start = b == delimiter || b == b'\n' || b == b'\r';
            }
        }
        i += 1;
    }
    open
}

/// Whether a record holds a cell whose inner lines look like rows of their
/// own (each with as many delimiters as a row has): a quote left open that
/// the next quoted cell closed. Returns how many lines it swallowed.
fn swallowed_rows(rec: &csv::StringRecord, delimiter: u8, width: usize) -> Option<u64> {
    if width < 3 {
        return None;
    }
    for cell in rec.iter() {
        let lines = count_breaks(cell.as_bytes());
        if lines == 0 {
            continue;
        }
        let row_like = cell
            .split(['\n', '\r'])
            .skip(1)
            .filter(|l| l.bytes().filter(|&b| b == delimiter).count() + 1 >= width - 1)
            .count();
        if row_like > 0 {
            return Some(lines as u64);
        }
    }
    None
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

/// Read one sheet of a workbook. XLSX and XLSB sheets are read cell by
/// cell, keeping only the rows that hold something and only the headed
/// columns: a sheet's bounding box can be 1,048,576 x 16,384 cells because
/// of one stray value, and calamine's `worksheet_range` allocates all of it.
/// A value right of the last headed column makes its row ragged.
fn read_xlsx<RS: Read + Seek + Clone>(data: RS, sheet: Option<&str>, header_row: usize) -> Result<RawTable, FileError> {
    let mut wb = calamine::open_workbook_auto_from_rs(data).map_err(|e| match e {
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
                available: sheet_list(&names),
            })?,
        None => names.first().cloned().ok_or(FileError::NoSheets)?,
    };
    // XLSX and XLSB stream their cells through readers of different types.
    macro_rules! stream_cells {
        ($book:expr, $wrap:path) => {{
            let workbook_error = |e| FileError::Workbook(xlsx_error_kind(&$wrap(e)));
            let mut r = $book.worksheet_cells_reader(&name).map_err(workbook_error)?;
            let mut cells = SparseCells::default();
            while let Some(c) = r.next_cell().map_err(workbook_error)? {
                cells.push(c.get_position(), data_ref_text(c.get_value()));
            }
            cells
        }};
    }
    let cells = match &mut wb {
        calamine::Sheets::Xlsx(x) => stream_cells!(x, calamine::Error::Xlsx),
        calamine::Sheets::Xlsb(x) => stream_cells!(x, calamine::Error::Xlsb),
        // Legacy .xls and .ods have no cell reader; their sheets are small.
        other => {
            let range = other
                .worksheet_range(&name)
                .map_err(|e| FileError::Workbook(xlsx_error_kind(&e)))?;
            let mut cells = SparseCells::default();
            for (r, c, v) in range.used_cells() {
                let (r0, c0) = range.start().unwrap_or((0, 0));
                cells.push((r0 + r as u32, c0 + c as u32), cell_text(v));
            }
            cells
        }
    };
    cells.into_table(header_row)
}

/// The sheets of a workbook, for a message that reaches the log and the
/// published run summary. A sheet may be named after a person (one sheet
/// per survivor), so only spreadsheet defaults (`Sheet1`) are named; the
/// others are counted.
fn sheet_list(names: &[String]) -> String {
    let default = |n: &&String| {
        let n = n.trim().to_ascii_lowercase();
        n.strip_prefix("sheet")
            .is_some_and(|d| !d.trim().is_empty() && d.trim().chars().all(|c| c.is_ascii_digit()))
    };
    let shown: Vec<&str> = names.iter().filter(default).map(String::as_str).collect();
    let others = names.len() - shown.len();
    match (shown.is_empty(), others) {
        (_, 0) => shown.join(", "),
        (true, n) => {
            format!("{n} sheet(s), not named here (a sheet name may be personal): open the workbook to see them")
        }
        (false, n) => format!("{} and {n} other sheet(s), not named here", shown.join(", ")),
    }
}

/// Excel's grid: no cell of a well-formed sheet lies outside it.
const MAX_SHEET_ROWS: u32 = 1_048_576;

/// The non-empty cells of a sheet, by row.
#[derive(Default)]
struct SparseCells {
    rows: std::collections::BTreeMap<u32, Vec<(u32, String)>>,
    min_col: Option<u32>,
    /// A cell whose reference lies outside Excel's grid (a malformed file).
    off_grid: bool,
}

impl SparseCells {
    fn push(&mut self, (row, col): (u32, u32), text: String) {
        if text.is_empty() {
            return;
        }
        if row >= MAX_SHEET_ROWS || col as usize >= MAX_COLUMNS {
            self.off_grid = true;
            return;
        }
        self.min_col = Some(self.min_col.map_or(col, |m| m.min(col)));
        self.rows.entry(row).or_default().push((col, text));
    }

    /// The table: the first row holding something at or below `header_row`
    /// is the header, its last non-empty cell the last column; columns are
    /// counted from the leftmost cell of the sheet, as a range would be.
    fn into_table(self, header_row: usize) -> Result<RawTable, FileError> {
        if self.off_grid {
            return Err(FileError::Workbook(
                "a cell lies outside the sheet's 1,048,576 rows and 16,384 columns: the workbook is malformed".into(),
            ));
        }
        let Some(min_col) = self.min_col else {
            return Err(FileError::Empty);
        };
        let mut rows = self.rows.into_iter().filter(|(r, _)| *r as usize + 1 >= header_row);
        let Some((header_at, header_cells)) = rows.next() else {
            return Err(FileError::NoHeader(header_row));
        };
        let width = header_cells.iter().map(|(c, _)| c - min_col + 1).max().unwrap_or(0) as usize;
        let mut t = RawTable::default();
        t.set_headers(dense(header_cells, min_col, width))?;
        let mut previous = header_at;
        for (r, cells) in rows {
            let stored = t.rows.len() + 1;
            if stored.saturating_mul(width) > MAX_CELLS {
                return Err(FileError::TooManyCells {
                    rows: stored,
                    columns: width,
                    max: MAX_CELLS,
                });
            }
            // Rows between two rows that hold something are blank rows.
            t.blank_rows += (r - previous - 1) as usize;
            previous = r;
            let beyond = cells.iter().any(|(c, _)| (c - min_col) as usize >= width);
            let mut row = dense(cells, min_col, width);
            if beyond {
                row.push("(beyond the last headed column)".to_string());
            }
            t.push_row(r + 1, row);
        }
        t.note_ragged();
        Ok(t)
    }
}

/// One row's cells laid out in `width` columns (cells right of them dropped).
fn dense(cells: Vec<(u32, String)>, min_col: u32, width: usize) -> Vec<String> {
    let mut out = vec![String::new(); width];
    for (c, v) in cells {
        if let Some(slot) = out.get_mut((c - min_col) as usize) {
            *slot = v;
        }
    }
    out
}

/// A streamed cell as text, as [`cell_text`] writes a loaded one.
fn data_ref_text(cell: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match cell {
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::Int(i) => cell_text(&Data::Int(*i)),
        DataRef::Float(f) => cell_text(&Data::Float(*f)),
        DataRef::Bool(b) => cell_text(&Data::Bool(*b)),
        DataRef::DateTime(d) => cell_text(&Data::DateTime(*d)),
        DataRef::DateTimeIso(s) => cell_text(&Data::DateTimeIso(s.clone())),
        DataRef::DurationIso(s) => cell_text(&Data::DurationIso(s.clone())),
    }
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

    #[test]
    fn a_repeated_header_is_named_by_position_never_by_its_text() {
        // An export saved without its header: a record is the header.
        let t = read_csv("F-1,Rahima Khatun,Rahima Khatun,9876543210\nF-2,x,y,z\n", b',', 1).unwrap();
        assert_eq!(t.notes.len(), 1);
        assert!(t.notes[0].contains("column 3 repeats column 2"), "{:?}", t.notes);
        assert!(!t.notes[0].contains("Rahima"), "{:?}", t.notes);
    }

    #[test]
    fn rows_with_fewer_cells_than_the_header_are_ragged_too() {
        let t = read_csv("a,b,c\n1,2,3\n1,2\n1,2,3,\n", b',', 1).unwrap();
        assert_eq!(t.ragged_rows, [1], "a trailing empty cell is no extra cell");
        assert!(t.notes.iter().any(|n| n.contains("line 3")), "{:?}", t.notes);
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_number_rows() {
        let t = read_csv("id,name\r1,a\r2,b\r\r3,\"two\rlines\"\r4,d", b',', 1).unwrap();
        assert_eq!(t.columns[0], ["1", "2", "3", "4"]);
        assert_eq!(t.rows, [2, 3, 5, 7]);
        assert_eq!(t.cut_short, None, "a last line without its break is whole");
    }

    #[test]
    fn a_quote_left_open_stops_the_file_naming_its_line() {
        assert_eq!(
            read_csv("id,name,phone\n1,\"Rahima,98765\n2,b,c\n", b',', 1).unwrap_err(),
            FileError::QuoteNeverCloses { line: 2 }
        );
        // Closed by the next quoted cell, after swallowing whole rows.
        let text = "id,name,phone,sex\n1,\"Rahima,98765,F\n2,b,c,F\n3,\"q\",c,F\n";
        assert_eq!(
            read_csv(text, b',', 1).unwrap_err(),
            FileError::QuoteSwallowsRows { line: 2, until: 4 }
        );
        // A real multi-line cell (an address) is fine.
        let t = read_csv("id,address,phone,sex\n1,\"12 Station Rd,\nBasirhat\",9,F\n", b',', 1).unwrap();
        assert_eq!(t.columns[1], ["12 Station Rd,\nBasirhat"]);
        // A doubled quote inside a quoted cell is a quote.
        assert!(read_csv("a,b\n\"say \"\"hi\"\"\",2\n", b',', 1).is_ok());
        // A quote inside an unquoted cell is a character.
        assert!(read_csv("a,b\n5'2\" tall,2\n", b',', 1).is_ok());
    }

    #[test]
    fn a_file_that_ends_inside_a_row_is_cut_short() {
        let t = read_csv("a,b,c\n1,2,3\n4,5", b',', 1).unwrap();
        assert_eq!(t.cut_short, Some(3));
        assert_eq!(t.ragged_rows, [1]);
        let t = read_csv("a,b,c\n1,2,3\n4,5\n", b',', 1).unwrap();
        assert_eq!(t.cut_short, None, "a short row with its line break is ragged, not cut");
    }

    #[test]
    fn sizes_are_bounded_before_they_are_allocated() {
        let wide = vec!["9876543210"; MAX_COLUMNS + 1].join(",");
        assert!(matches!(
            read_csv(&wide, b',', 1),
            Err(FileError::TooWide { columns, .. }) if columns == MAX_COLUMNS + 1
        ));
        let long = format!("a,b\n1,{}\n", "x".repeat(MAX_RECORD_BYTES + 1));
        assert!(matches!(
            read_csv(&long, b',', 1),
            Err(FileError::RowTooLong { row: 2, .. })
        ));
    }

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for &(r, c, v) in cells {
            ws.write_string(r, c, v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    fn xlsx_opts() -> ReadOptions {
        ReadOptions {
            format: Some(Format::Xlsx),
            header_row: 1,
            ..Default::default()
        }
    }

    #[test]
    fn a_value_in_the_last_cell_of_a_sheet_is_read_without_the_sheet_in_memory() {
        let bytes = xlsx(&[
            (0, 0, "id"),
            (0, 1, "name"),
            (1, 0, "1"),
            (1, 1, "a"),
            (3, 0, "2"),
            (1_048_575, 16_383, "stray"),
        ]);
        let t = read_bytes(&bytes, &xlsx_opts()).unwrap();
        assert_eq!(t.headers, ["id", "name"]);
        assert_eq!(t.rows, [2, 4, 1_048_576]);
        assert_eq!(t.ragged_rows, [2], "the stray value is right of the last header");
        assert_eq!(t.blank_rows, 1 + (1_048_575 - 4));
    }

    /// A workbook whose first sheet's XML is rewritten by `edit`.
    fn rewritten_xlsx(edit: impl Fn(&str) -> String) -> Vec<u8> {
        use std::io::{Read, Write};
        let original = xlsx(&[(0, 0, "id"), (0, 1, "name"), (1, 0, "1"), (1, 1, "a")]);
        let mut from = zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
        let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..from.len() {
            let mut f = from.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = Vec::new();
            f.read_to_end(&mut text).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                text = edit(&String::from_utf8(text).unwrap()).into_bytes();
            }
            to.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            to.write_all(&text).unwrap();
        }
        to.finish().unwrap().into_inner()
    }

    #[test]
    fn a_cell_reference_outside_the_grid_is_a_malformed_workbook() {
        // Found by the xlsx_reader fuzz target: many column letters
        // overflow calamine's arithmetic (a panic with overflow checks on,
        // a wrapped column without them, and a header of billions of cells).
        let bytes = rewritten_xlsx(|xml| xml.replace("r=\"B2\"", "r=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA2\""));
        assert!(matches!(read_bytes(&bytes, &xlsx_opts()), Err(FileError::Workbook(_))));
        let bytes = rewritten_xlsx(|xml| xml.replace("r=\"B2\"", "r=\"B4294967295\""));
        assert!(matches!(read_bytes(&bytes, &xlsx_opts()), Err(FileError::Workbook(_))));
        // The same workbook, untouched, reads.
        assert_eq!(
            read_bytes(&rewritten_xlsx(str::to_string), &xlsx_opts()).unwrap().rows,
            [2]
        );
    }

    #[test]
    fn a_missing_sheet_names_only_default_sheet_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(sheet_list(&names(&["Sheet1", "Sheet 2"])), "Sheet1, Sheet 2");
        let msg = sheet_list(&names(&["Sheet1", "Rahima Khatun"]));
        assert!(
            msg.starts_with("Sheet1 and 1 other") && !msg.contains("Rahima"),
            "{msg}"
        );
        assert!(sheet_list(&names(&["Rahima"])).starts_with("1 sheet(s), not named"));
    }

    #[test]
    fn a_sheet_starting_right_of_column_a_keeps_its_columns() {
        let bytes = xlsx(&[(2, 1, "id"), (2, 3, "name"), (3, 1, "1"), (3, 3, "a")]);
        let t = read_bytes(&bytes, &xlsx_opts()).unwrap();
        assert_eq!(t.headers, ["id", "column 2", "name"]);
        assert_eq!(t.columns[2], ["a"]);
        assert_eq!(t.rows, [4]);
    }
}
