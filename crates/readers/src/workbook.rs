//! Workbooks (XLSX, XLSB): a sheet streamed cell by cell, so a value in
//! its last cell costs one ragged row rather than the whole grid in memory;
//! a cell outside Excel's grid is a malformed file.

use calamine::{Data, Reader};

use super::*;

/// Read one sheet of a workbook. XLSX and XLSB sheets are read cell by
/// cell, keeping only the rows that hold something and only the headed
/// columns: a sheet's bounding box can be 1,048,576 x 16,384 cells because
/// of one stray value, and calamine's `worksheet_range` allocates all of it.
/// A value right of the last headed column makes its row ragged.
pub(crate) fn read_xlsx<RS: Read + Seek + Clone>(
    data: RS,
    sheet: Option<&str>,
    (header_row, max_cells): (usize, usize),
) -> Result<RawTable, FileError> {
    let mut wb = calamine::open_workbook_auto_from_rs(data).map_err(|e| match e {
        calamine::Error::Io(io) => FileError::Unreadable(io.kind().to_string()),
        other => FileError::Workbook(xlsx_error_kind(&other)),
    })?;
    let names = wb.sheet_names().to_vec();
    let name = names
        .iter()
        .find(|n| sheet.is_none_or(|s| names_sheet(n, s)))
        .cloned()
        .ok_or_else(|| no_sheet(&names, sheet))?;
    // XLSX and XLSB stream their cells through readers of different types.
    macro_rules! stream_cells {
        ($book:expr, $wrap:path) => {{
            let workbook_error = |e| FileError::Workbook(xlsx_error_kind(&$wrap(e)));
            let mut r = $book.worksheet_cells_reader(&name).map_err(workbook_error)?;
            let mut cells = SparseCells::new(header_row, max_cells);
            while let Some(c) = r.next_cell().map_err(workbook_error)? {
                cells.push(c.get_position(), data_ref_text(c.get_value()))?;
            }
            cells
        }};
    }
    let cells = match &mut wb {
        calamine::Sheets::Xlsx(x) => stream_cells!(x, calamine::Error::Xlsx),
        calamine::Sheets::Xlsb(x) => stream_cells!(x, calamine::Error::Xlsb),
        // Legacy .xls has no cell reader (an .ods never gets here: see `ods`).
        other => {
            let range = other
                .worksheet_range(&name)
                .map_err(|e| FileError::Workbook(xlsx_error_kind(&e)))?;
            let mut cells = SparseCells::new(header_row, max_cells);
            for (r, c, v) in range.used_cells() {
                let (r0, c0) = range.start().unwrap_or((0, 0));
                cells.push((r0 + r as u32, c0 + c as u32), cell_text(v))?;
            }
            cells
        }
    };
    cells.into_table(header_row)
}

/// Whether sheet `name` is the one a source's `sheet = "wanted"` names:
/// as written, or trimmed and in any case.
pub(crate) fn names_sheet(name: &str, wanted: &str) -> bool {
    name == wanted || name.trim().eq_ignore_ascii_case(wanted.trim())
}

/// Why none of a workbook's sheets (`names`, in order) is the one wanted.
pub(crate) fn no_sheet(names: &[String], sheet: Option<&str>) -> FileError {
    match sheet {
        Some(s) => FileError::SheetNotFound {
            sheet: s.to_string(),
            available: sheet_list(names),
        },
        None => FileError::NoSheets,
    }
}

/// The sheets of a workbook, for a message that reaches the log and the
/// published run summary. A sheet may be named after a person (one sheet
/// per survivor), so only spreadsheet defaults (`Sheet1`) are named; the
/// others are counted.
pub(crate) fn sheet_list(names: &[String]) -> String {
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
pub(crate) const MAX_SHEET_ROWS: u32 = 1_048_576;

/// The non-empty cells of a sheet, by row, from its header row down. The
/// header row is the first row holding something at or below
/// `header_row`; cells right of its last filled cell are counted, not
/// kept (they make their row ragged), and a row with more of them than
/// the header has columns stops the file: a 2.8 MB XLSX of 16,384 cells a
/// row once took 3.85 GiB to read. Cells are counted against
/// the sheet's limit ([`MAX_CELLS`]) as they come, so a sheet too large stops before it is
/// held.
pub(crate) struct SparseCells {
    rows: std::collections::BTreeMap<u32, Vec<(u32, String)>>,
    min_col: Option<u32>,
    /// A cell whose reference lies outside Excel's grid (a malformed file).
    off_grid: bool,
    /// Rows above this one (0-based) are not read.
    first_row: u32,
    /// The header: its row, first and last filled column, once a later
    /// row shows it is complete.
    header: Option<(u32, u32, u32)>,
    /// Filled cells right of the header, by row.
    beyond: std::collections::BTreeMap<u32, usize>,
    stored: usize,
    /// The most cells kept.
    max: usize,
}

impl SparseCells {
    /// Cells read from `header_row` (1-based) down.
    pub(crate) fn new(header_row: usize, max: usize) -> SparseCells {
        SparseCells {
            rows: Default::default(),
            min_col: None,
            off_grid: false,
            first_row: u32::try_from(header_row.saturating_sub(1)).unwrap_or(u32::MAX),
            header: None,
            beyond: Default::default(),
            stored: 0,
            max,
        }
    }

    pub(crate) fn push(&mut self, (row, col): (u32, u32), text: String) -> Result<(), FileError> {
        if text.is_empty() || row < self.first_row {
            return Ok(());
        }
        if row >= MAX_SHEET_ROWS || col as usize >= MAX_COLUMNS {
            self.off_grid = true;
            return Ok(());
        }
        match self.header {
            // The header row is complete once a later row begins.
            None => match self.rows.keys().next().copied() {
                Some(h) if row > h => {
                    let cells = &self.rows[&h];
                    let first = cells.iter().map(|(c, _)| *c).min().unwrap_or(0);
                    let last = cells.iter().map(|(c, _)| *c).max().unwrap_or(0);
                    self.header = Some((h, first, last));
                }
                Some(h) if row < h => return Err(out_of_order()),
                _ => {}
            },
            Some((h, _, _)) if row <= h => return Err(out_of_order()),
            Some(_) => {}
        }
        if let Some((_, first, last)) = self.header {
            if self.rows.last_key_value().is_some_and(|(r, _)| *r > row) {
                return Err(out_of_order());
            }
            if col > last {
                let n = self.beyond.entry(row).or_default();
                *n += 1;
                let columns = (last - first.min(last) + 1) as usize;
                if *n > columns.max(16) {
                    return Err(FileError::RowTooWide {
                        row: row as usize + 1,
                        cells: *n,
                        columns,
                    });
                }
                return Ok(());
            }
        }
        self.stored += 1;
        if self.stored > self.max {
            let columns = self.header.map_or(0, |(_, first, last)| (last - first + 1) as usize);
            return Err(FileError::TooManyCells {
                rows: self.rows.len(),
                columns,
                max: self.max,
            });
        }
        self.min_col = Some(self.min_col.map_or(col, |m| m.min(col)));
        self.rows.entry(row).or_default().push((col, text));
        Ok(())
    }

    /// The table: the first row holding something at or below `header_row`
    /// is the header, its last non-empty cell the last column; columns are
    /// counted from the leftmost cell of the sheet, as a range would be.
    pub(crate) fn into_table(self, header_row: usize) -> Result<RawTable, FileError> {
        if self.off_grid {
            return Err(FileError::Workbook(
                "a cell lies outside the sheet's 1,048,576 rows and 16,384 columns: the workbook is malformed".into(),
            ));
        }
        let Some(min_col) = self.min_col else {
            return Err(FileError::Empty);
        };
        // A row whose only cells lie right of the header is still a row (ragged).
        let mut all = self.rows;
        for r in self.beyond.keys() {
            all.entry(*r).or_default();
        }
        let mut rows = all.into_iter().filter(|(r, _)| *r as usize + 1 >= header_row);
        let Some((header_at, header_cells)) = rows.next() else {
            return Err(FileError::NoHeader(header_row));
        };
        let width = header_cells.iter().map(|(c, _)| c - min_col + 1).max().unwrap_or(0) as usize;
        let mut t = RawTable::default();
        t.set_headers(dense(header_cells, min_col, width))?;
        let mut previous = header_at;
        for (r, cells) in rows {
            let stored = t.rows.len() + 1;
            if stored.saturating_mul(width) > self.max {
                return Err(FileError::TooManyCells {
                    rows: stored,
                    columns: width,
                    max: self.max,
                });
            }
            // Rows between two rows that hold something are blank rows.
            t.blank_rows += (r - previous - 1) as usize;
            previous = r;
            let beyond = self.beyond.contains_key(&r) || cells.iter().any(|(c, _)| (c - min_col) as usize >= width);
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

fn out_of_order() -> FileError {
    FileError::Workbook("the sheet's rows are out of order: the workbook is malformed".into())
}

/// One row's cells laid out in `width` columns (cells right of them dropped).
pub(crate) fn dense(cells: Vec<(u32, String)>, min_col: u32, width: usize) -> Vec<String> {
    let mut out = vec![String::new(); width];
    for (c, v) in cells {
        if let Some(slot) = out.get_mut((c - min_col) as usize) {
            *slot = v;
        }
    }
    out
}

/// A streamed cell as text, as [`cell_text`] writes a loaded one.
pub(crate) fn data_ref_text(cell: &calamine::DataRef<'_>) -> String {
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

pub(crate) fn xlsx_error_kind(e: &calamine::Error) -> String {
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

/// The sheet names of an XLSX, XLSB or XLS workbook, in order (an ODS's
/// are [`crate::sheet_names`]'s to read).
pub(crate) fn calamine_sheet_names(bytes: &[u8]) -> Result<Vec<String>, FileError> {
    std::panic::catch_unwind(|| {
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
            .map(|wb| wb.sheet_names().to_vec())
            .map_err(|e| match e {
                calamine::Error::Io(io) => FileError::Unreadable(io.kind().to_string()),
                other => FileError::Workbook(xlsx_error_kind(&other)),
            })
    })
    .unwrap_or_else(|_| {
        Err(FileError::Workbook(
            "the workbook is malformed (its reader failed on it)".into(),
        ))
    })
}
