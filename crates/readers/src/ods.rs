//! OpenDocument spreadsheets (`.ods`, and an ODS renamed `.xlsx`), read
//! cell by cell like an XLSX sheet rather than through calamine.
//!
//! ODS compresses runs of equal cells and rows into one element with
//! `number-columns-repeated` and `number-rows-repeated`, and calamine
//! expands them into a dense grid of every sheet when it opens the file: an
//! 823-byte ODS of one repeated row took 2.9 GiB at 1,500 rows and 5.7 GiB
//! at 3,000, and at 6,000 under a 4 GiB limit the run aborted. Here the
//! repeats are counted before anything is expanded: a row's cells times its
//! repeats go against the sheet's cell limit ([`MAX_CELLS`]) before one is stored, only cells that
//! hold something are kept (as [`SparseCells`], which an XLSX sheet uses
//! too), and only the chosen sheet's. Empty runs (LibreOffice pads every
//! sheet with a million empty rows) cost a counter.

use std::io::{BufRead, BufReader};

use calamine::Data;
use quick_xml::events::{BytesStart, Event};

use super::workbook::{SparseCells, names_sheet, no_sheet};
use super::*;

/// Whether `bytes` are an OpenDocument spreadsheet: a zip holding
/// `content.xml` and no `[Content_Types].xml` (which every OOXML file has).
pub(crate) fn is_ods(bytes: &[u8]) -> bool {
    let Ok(zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    names.iter().any(|n| n == "content.xml") && !names.iter().any(|n| n == "[Content_Types].xml")
}

/// The sheets of an ODS, in order.
pub(crate) fn ods_sheet_names(bytes: &[u8]) -> Result<Vec<String>, FileError> {
    let mut names = Vec::new();
    scan(bytes, &mut |event| {
        if let Scan::Sheet(name) = event {
            names.push(name.to_string());
        }
        Ok(Step::Skip)
    })?;
    Ok(names)
}

/// Read one sheet of an ODS (the first when `sheet` is `None`), in one
/// pass over `content.xml`: the first sheet the source names is read, and
/// the names met are kept for the message when none is.
pub(crate) fn read_ods(
    bytes: &[u8],
    sheet: Option<&str>,
    (header_row, max_cells): (usize, usize),
) -> Result<RawTable, FileError> {
    let mut names: Vec<String> = Vec::new();
    let mut chosen = false;
    let mut cells = SparseCells::new(header_row, max_cells);
    let mut stored = 0usize;
    scan(bytes, &mut |event| match event {
        Scan::Sheet(name) => {
            names.push(name.to_string());
            let read = !chosen && sheet.is_none_or(|s| names_sheet(name, s));
            chosen |= read;
            Ok(if read { Step::Read } else { Step::Skip })
        }
        Scan::Row {
            row,
            repeats,
            cells: row_cells,
        } => {
            let filled = row_cells.iter().map(|(_, n, _)| *n).sum::<usize>();
            // Counted before a cell is expanded.
            let adding = filled.saturating_mul(repeats);
            if stored.saturating_add(adding) > max_cells {
                return Err(FileError::TooManyCells {
                    rows: row.saturating_add(repeats),
                    columns: row_cells.last().map_or(0, |(c, n, _)| c + n),
                    max: max_cells,
                });
            }
            stored += adding;
            for r in 0..repeats {
                for (col, n, text) in row_cells.iter() {
                    for c in 0..*n {
                        let at = (
                            u32::try_from(row + r).unwrap_or(u32::MAX),
                            u32::try_from(col + c).unwrap_or(u32::MAX),
                        );
                        cells.push(at, text.clone())?;
                    }
                }
            }
            Ok(Step::Read)
        }
    })?;
    if !chosen {
        return Err(no_sheet(&names, sheet));
    }
    cells.into_table(header_row)
}

/// What the scan met.
enum Scan<'a> {
    /// A sheet begins; the callback says whether to read its rows.
    Sheet(&'a str),
    /// A row of the sheet being read that holds something: its first
    /// row index, how many times it repeats, and its filled cells as
    /// (first column, repeats, text).
    Row {
        row: usize,
        repeats: usize,
        cells: Vec<(usize, usize, String)>,
    },
}

#[derive(PartialEq, Eq)]
enum Step {
    Read,
    Skip,
}

fn malformed(what: impl std::fmt::Display) -> FileError {
    FileError::Workbook(format!("the OpenDocument spreadsheet is malformed ({what})"))
}

/// Walk `content.xml`, calling `on` for each sheet and each filled row of
/// the sheets it reads.
fn scan(bytes: &[u8], on: &mut dyn FnMut(Scan<'_>) -> Result<Step, FileError>) -> Result<(), FileError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(malformed)?;
    let content = zip.by_name("content.xml").map_err(malformed)?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let mut reading = false;
    let mut row = 0usize;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(malformed)? {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                let name = attr(&e, "table:name")?.unwrap_or_default();
                reading = on(Scan::Sheet(&name))? == Step::Read;
                row = 0;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => reading = false,
            Event::Start(e) if reading && e.name().as_ref() == "table:table-row" => {
                let repeats = count(&e, "table:number-rows-repeated")?;
                let cells = read_row(&mut reader)?;
                if !cells.is_empty() {
                    on(Scan::Row { row, repeats, cells })?;
                }
                row = row.saturating_add(repeats);
            }
            Event::Empty(e) if reading && e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(count(&e, "table:number-rows-repeated")?);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// One row's filled cells, up to its end tag.
fn read_row<B: BufRead>(reader: &mut quick_xml::Reader<B>) -> Result<Vec<(usize, usize, String)>, FileError> {
    let mut out = Vec::new();
    let mut col = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(malformed)? {
            Event::Start(e) if is_cell(&e) => {
                let e = e.into_owned();
                let repeats = count(&e, "table:number-columns-repeated")?;
                let text = read_text(reader, &e)?;
                let value = value(&e, Some(text))?;
                if !value.is_empty() {
                    out.push((col, repeats, value));
                }
                col = col.saturating_add(repeats);
            }
            Event::Empty(e) if is_cell(&e) => {
                let repeats = count(&e, "table:number-columns-repeated")?;
                let value = value(&e, None)?;
                if !value.is_empty() {
                    out.push((col, repeats, value));
                }
                col = col.saturating_add(repeats);
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => return Ok(out),
            Event::Eof => return Err(malformed("a row never ends")),
            _ => {}
        }
        if col > MAX_COLUMNS && out.last().is_some_and(|(c, n, _)| c + n > MAX_COLUMNS) {
            return Err(FileError::Workbook(
                "a cell lies outside the sheet's 16,384 columns: the workbook is malformed".into(),
            ));
        }
    }
}

fn is_cell(e: &BytesStart<'_>) -> bool {
    matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell")
}

/// A cell's text as a spreadsheet shows it: its paragraphs joined by line
/// breaks, `text:s` as spaces, annotations left out.
fn read_text<B: BufRead>(reader: &mut quick_xml::Reader<B>, cell: &BytesStart<'_>) -> Result<String, FileError> {
    let mut s = String::new();
    let mut paragraphs = 0usize;
    let mut annotation = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(malformed)? {
            Event::End(e) if e.name() == cell.name() && annotation == 0 => return Ok(s),
            Event::Start(e) if e.name().as_ref() == "office:annotation" => annotation += 1,
            Event::End(e) if e.name().as_ref() == "office:annotation" => annotation = annotation.saturating_sub(1),
            _ if annotation > 0 => {}
            Event::Start(e) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    s.push('\n');
                }
                paragraphs += 1;
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "text:s" => {
                let n = attr(&e, "text:c")?.and_then(|v| v.parse().ok()).unwrap_or(1usize);
                // A cell's text is bounded by a record's bytes, spaces too.
                s.extend(std::iter::repeat_n(' ', n.min(MAX_RECORD_BYTES)));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "text:tab" => s.push('\t'),
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "text:line-break" => s.push('\n'),
            Event::Text(t) => s.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name: &str = r.as_ref();
                match quick_xml::escape::resolve_xml_entity(name) {
                    Some(text) => s.push_str(text),
                    None => match r.resolve_char_ref().map_err(malformed)? {
                        Some(c) => s.push(c),
                        None => return Err(malformed(format_args!("an unknown entity"))),
                    },
                }
            }
            Event::Eof => return Err(malformed("a cell never ends")),
            _ => {}
        }
        if s.len() > MAX_RECORD_BYTES {
            return Err(malformed(format_args!(
                "a cell holds more than {MAX_RECORD_BYTES} bytes of text"
            )));
        }
    }
}

/// A cell's value as text, as [`cell_text`] writes calamine's: numbers
/// from `office:value`, dates and times as written, booleans as
/// `true`/`false`, strings from their text.
fn value(e: &BytesStart<'_>, text: Option<String>) -> Result<String, FileError> {
    let kind = attr(e, "office:value-type")?.unwrap_or_default();
    Ok(match kind.as_str() {
        "float" | "percentage" | "currency" => match attr(e, "office:value")?.and_then(|v| v.parse::<f64>().ok()) {
            Some(f) => cell_text(&Data::Float(f)),
            None => text.unwrap_or_default(),
        },
        "date" => attr(e, "office:date-value")?.or(text).unwrap_or_default(),
        "time" => attr(e, "office:time-value")?.or(text).unwrap_or_default(),
        "boolean" => match attr(e, "office:boolean-value")?.as_deref() {
            Some("true" | "TRUE") => "true".into(),
            Some(_) => "false".into(),
            None => text.unwrap_or_default(),
        },
        _ => attr(e, "office:string-value")?.or(text).unwrap_or_default(),
    })
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, FileError> {
    match e.try_get_attribute(name).map_err(malformed)? {
        Some(a) => Ok(Some(
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(malformed)?
                .into_owned(),
        )),
        None => Ok(None),
    }
}

/// A repeat count (1 when absent); a count that is not a number is a
/// malformed file.
fn count(e: &BytesStart<'_>, name: &str) -> Result<usize, FileError> {
    match attr(e, name)? {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map(|n| n.max(1))
            .map_err(|_| malformed(format_args!("`{name}` is not a count"))),
    }
}
