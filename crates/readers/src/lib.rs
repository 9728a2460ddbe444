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
//! (XFD1048576), an 823-byte ODS whose repeated cells calamine expanded to
//! gigabytes, an `.xls` of two cells at opposite corners of ten sheets.
//! Every size is bounded before it is allocated ([`MAX_FILE_BYTES`],
//! [`MAX_COLUMNS`], [`MAX_RECORD_BYTES`], [`MAX_CELLS`], an ODS's repeats and
//! an `.xls`'s spans counted before expansion: see `ods` and `xls`), and a
//! row whose cells do not fit its header is marked ragged rather than read
//! under the wrong headers (one far wider than its header stops the file). The readers are a crate of their own (no polars, no
//! DuckDB) so `cargo fuzz` can build them in seconds (see `fuzz/`).

use std::io::{Read, Seek};
use std::path::Path;

use serde::Deserialize;

mod delimited;
mod ods;
mod text;
mod workbook;
mod xls;

use delimited::read_csv_bytes;
pub use delimited::{read_csv, sniff_delimiter};
pub use text::decode;
pub use workbook::cell_text;
use workbook::read_xlsx;

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
    /// The largest file [`read`] reads; [`MAX_FILE_BYTES`] when None.
    pub max_bytes: Option<u64>,
    /// The most cells a sheet is read into; [`MAX_CELLS`] when None.
    pub max_cells: Option<usize>,
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
    /// Data rows (by index) of a repeat group whose parent row is not in
    /// the parent sheet or file (set by the caller that joins the parent).
    pub orphan_rows: Vec<usize>,
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

    /// Make room for about `rows` data rows in every column and the row
    /// numbers at once: grown a row at a time, each column of a 300,000-row
    /// export was reallocated and copied about eighteen times as it doubled.
    fn reserve_rows(&mut self, rows: usize) {
        for col in &mut self.columns {
            col.reserve(rows);
        }
        self.rows.reserve(rows);
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
    #[error("not a readable workbook ({0})")]
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
    #[error(
        "the sheet spans {rows} rows by {columns} headed columns, more than the {max} cells a sheet may have (`[limits] max_sheet_cells` in tafteesh.toml); is it the right export? A register that large reads best as CSV"
    )]
    TooManyCells { rows: usize, columns: usize, max: usize },
    #[error(
        "row {row} holds {cells} filled cells right of the last headed column (the header has {columns} columns): is the header row right, or is the sheet malformed?"
    )]
    RowTooWide { row: usize, cells: usize, columns: usize },
    #[error(
        "the file is {} MiB, more than the {} MiB an export may be (`[limits] max_file_mib` in tafteesh.toml); it was not read",
        bytes.div_ceil(1 << 20),
        max >> 20
    )]
    TooLarge { bytes: u64, max: u64 },
    #[error(
        "the .xls workbook's sheets span {cells} cells, more than the {max} a sheet may have (`[limits] max_sheet_cells` in tafteesh.toml), and every sheet is read at once; is it the right export?"
    )]
    WorkbookTooLarge { cells: usize, max: usize },
    #[error("its parent ({parent}): {why}")]
    Parent { parent: String, why: String },
}

/// The most columns a header may have: Excel's own limit (XFD).
pub const MAX_COLUMNS: usize = 16_384;
/// The longest record a CSV may hold, in bytes. A real record is a few
/// kilobytes; a longer one is a file read with the wrong delimiter or line
/// ends, or no table at all.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most cells a sheet is read into (rows by headed columns).
/// Unless the installation says otherwise (`[limits] max_sheet_cells`):
/// a cell held costs some 50 bytes on its way to the lake, so ten million
/// keep a sheet's reading within half a GiB, and a partner with a larger
/// register exports CSV (read row by row) or raises the limit.
pub const MAX_CELLS: usize = 10_000_000;
/// The largest file read unless the installation says otherwise
/// (`[limits] max_file_mib`): a file is held whole while it is parsed.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Read one file as `opts` describe.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<RawTable, FileError> {
    let unreadable = |e: std::io::Error| FileError::Unreadable(e.kind().to_string());
    let max = opts.max_bytes.unwrap_or(MAX_FILE_BYTES);
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let bytes = file.metadata().map_err(unreadable)?.len();
    if bytes > max {
        return Err(FileError::TooLarge { bytes, max });
    }
    // Read at most one byte past the limit: a file that grows while it is
    // read is refused too, without being held whole.
    let mut buf = Vec::with_capacity(bytes as usize);
    file.take(max + 1).read_to_end(&mut buf).map_err(unreadable)?;
    if buf.len() as u64 > max {
        return Err(FileError::TooLarge {
            bytes: buf.len() as u64,
            max,
        });
    }
    read_bytes(&buf, opts)
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
            std::panic::catch_unwind(|| {
                let max_cells = opts.max_cells.unwrap_or(MAX_CELLS);
                if xls::is_xls(bytes) {
                    check_xls(bytes, max_cells)?;
                }
                if ods::is_ods(bytes) {
                    ods::read_ods(bytes, opts.sheet.as_deref(), (opts.header_row, max_cells))
                } else {
                    read_xlsx(
                        std::io::Cursor::new(bytes),
                        opts.sheet.as_deref(),
                        (opts.header_row, max_cells),
                    )
                }
            })
            .unwrap_or_else(|_| {
                Err(FileError::Workbook(
                    "the workbook is malformed (its reader failed on it)".into(),
                ))
            })
        }
    }
}

/// The sheet names of a workbook, in order. An `.xls` whose sheets would
/// be expanded past the cell limit is refused first (calamine reads every
/// sheet to name them), and an ODS is named without calamine.
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>, FileError> {
    if ods::is_ods(bytes) {
        return ods::ods_sheet_names(bytes);
    }
    if xls::is_xls(bytes) {
        check_xls(bytes, MAX_CELLS)?;
    }
    workbook::calamine_sheet_names(bytes)
}

/// Refuse an `.xls` whose sheets calamine would expand past `max` cells.
pub(crate) fn check_xls(bytes: &[u8], max: usize) -> Result<(), FileError> {
    let cells = xls::cells_to_expand(bytes)?;
    if cells > max {
        return Err(FileError::WorkbookTooLarge { cells, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
