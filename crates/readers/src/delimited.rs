//! Delimited text (CSV, `;`, tab): the delimiter found when it is not
//! declared, records read with lone-CR line ends, ragged rows marked, and
//! a stray quote stopped at the line where it opened.

use super::*;

/// Decode, find the delimiter, and parse a CSV.
pub(crate) fn read_csv_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<RawTable, FileError> {
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
            // At most a row per line left (fewer with multi-line cells).
            t.reserve_rows(breaks.len() - breaks.partition_point(|&n| n < end) + 1);
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
pub(crate) fn line_breaks(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len()).filter(|&i| is_break(bytes, i)).collect()
}

/// How many line breaks [`line_breaks`] finds, without listing them: run on
/// every cell of every record.
pub(crate) fn count_breaks(bytes: &[u8]) -> usize {
    (0..bytes.len()).filter(|&i| is_break(bytes, i)).count()
}

/// Is `bytes[i]` a line break: an LF, or a CR not followed by an LF.
pub(crate) fn is_break(bytes: &[u8], i: usize) -> bool {
    bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Where a quote opens that is still open at the end of the text, read as
/// the csv crate reads it: a quote opens a cell only as its first byte, a
/// doubled quote inside is a literal one, and the cell ends at its closing
/// quote.
pub(crate) fn quote_open_at_end(bytes: &[u8], delimiter: u8) -> Option<usize> {
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
pub(crate) fn swallowed_rows(rec: &csv::StringRecord, delimiter: u8, width: usize) -> Option<u64> {
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
pub(crate) fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where {expected_len} expected")
        }
        _ => "unreadable record".into(),
    }
}
