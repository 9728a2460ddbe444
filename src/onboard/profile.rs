//! The profile of an unseen export: how to read it, and what each column
//! holds, as shapes and counts.

use std::collections::BTreeMap;
use std::path::Path;

use tafteesh_parsers::dates::{DateOrder, DateStyle};
use tafteesh_readers::{Encoding, Format, RawTable, ReadOptions};

use crate::clean::shape;
use crate::config::reference::Reference;
use crate::error::{Error, Result};

/// What a cell looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Date,
    Amount,
    Phone,
    Integer,
    District,
    State,
    Sections,
    YesNo,
    Text,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Date => "date",
            Kind::Amount => "amount",
            Kind::Phone => "phone",
            Kind::Integer => "number",
            Kind::District => "district",
            Kind::State => "state",
            Kind::Sections => "sections",
            Kind::YesNo => "yes/no",
            Kind::Text => "text",
        }
    }
}

/// One column of the export.
#[derive(Debug, Clone)]
pub struct ColumnProfile {
    pub header: String,
    pub filled: usize,
    /// Distinct values, counted up to 31.
    pub distinct: usize,
    /// Kinds of the filled cells, most frequent first.
    pub kinds: Vec<(Kind, usize)>,
    /// The most frequent shapes of the filled cells.
    pub shapes: Vec<(String, usize)>,
    /// Distinct values with their counts, kept only for a column that
    /// looks coded (few values, each repeated); whether they are shown is
    /// the draft's decision, by what the column is mapped to.
    pub codes: Option<Vec<(String, usize)>>,
    /// Dates whose first number is above 12 (day first), and whose second is.
    pub day_first: usize,
    pub month_first: usize,
    /// Cells that read as a yyyymmdd date (`20010314`).
    pub compact_dates: usize,
    /// Cells shaped like a person's name: two to five words of letters
    /// (any script), no digit.
    pub name_like: usize,
}

impl ColumnProfile {
    /// The share of filled cells of `kind`.
    pub fn share(&self, kind: Kind) -> f64 {
        let n = self.kinds.iter().find(|k| k.0 == kind).map_or(0, |k| k.1);
        if self.filled == 0 {
            0.0
        } else {
            n as f64 / self.filled as f64
        }
    }

    /// The share of filled cells that read as a yyyymmdd date.
    pub fn share_compact_date(&self) -> f64 {
        if self.filled == 0 {
            0.0
        } else {
            self.compact_dates as f64 / self.filled as f64
        }
    }

    /// The share of filled cells shaped like a person's name.
    pub fn share_name_like(&self) -> f64 {
        if self.filled == 0 {
            0.0
        } else {
            self.name_like as f64 / self.filled as f64
        }
    }

    /// The most frequent kind, if most filled cells have it.
    pub fn kind(&self) -> Option<Kind> {
        self.kinds.first().filter(|k| k.1 * 2 > self.filled).map(|k| k.0)
    }
}

/// How to read the export, and its columns.
#[derive(Debug, Clone)]
pub struct Profile {
    pub format: Format,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub delimiter: Option<u8>,
    pub header_row: usize,
    pub rows: usize,
    /// The rows profiled (the first 5,000).
    pub sampled: usize,
    pub notes: Vec<String>,
    pub columns: Vec<ColumnProfile>,
}

/// How many rows the profile reads, at most.
const SAMPLE: usize = 5_000;
/// A column with at most this many distinct values, each seen twice on
/// average, is coded.
const MAX_CODES: usize = 30;

/// Profile `path` (a sheet of it, for a workbook).
pub fn profile(path: &Path, sheet: Option<&str>, reference: &Reference) -> Result<Profile> {
    let size = std::fs::metadata(path).map_err(Error::io(path))?.len();
    if size > tafteesh_readers::MAX_FILE_BYTES {
        let e = tafteesh_readers::FileError::TooLarge {
            bytes: size,
            max: tafteesh_readers::MAX_FILE_BYTES,
        };
        return Err(Error::Usage(format!("{}: {e}", path.display())));
    }
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let format = if ["xlsx", "xlsm", "xlsb", "xls", "ods"].contains(&ext.as_str()) {
        Format::Xlsx
    } else {
        Format::Csv
    };
    let file_error = |e: tafteesh_readers::FileError| Error::Usage(format!("{}: {e}", path.display()));
    let sheets = match format {
        Format::Xlsx => tafteesh_readers::sheet_names(&bytes).map_err(file_error)?,
        Format::Csv => vec![],
    };
    if format == Format::Csv && sheet.is_some() {
        return Err(Error::Usage(format!("{}: --sheet is for workbooks", path.display())));
    }
    // The header row: the first of the top rows whose cells are mostly
    // filled with words, not numbers or dates (a title row above it has one
    // filled cell; a data row has numbers and dates).
    let read = |header_row: usize| {
        tafteesh_readers::read_bytes(
            &bytes,
            &ReadOptions {
                format: Some(format),
                encoding: Encoding::Auto,
                delimiter: None,
                header_row,
                sheet: sheet.map(String::from),
                max_bytes: None,
                max_cells: None,
            },
        )
    };
    let mut best: Option<(usize, f64, RawTable)> = None;
    for h in 1..=8 {
        let Ok(t) = read(h) else { break };
        let score = header_score(&t);
        if best.as_ref().is_none_or(|b| score > b.1 + 0.05) {
            best = Some((h, score, t));
        }
        if score > 0.9 {
            break;
        }
    }
    let (header_row, _, table) = match best {
        Some(b) => b,
        None => return Err(file_error(read(1).expect_err("no header row was read"))),
    };
    // A header is never a phone number or a date. A file whose top rows
    // hold them was saved without its header row: its "headers" are a
    // record, and printing them would print a survivor's name and phone.
    let header_style = DateStyle {
        order: DateOrder::Dmy,
        excel_system: 1900,
    };
    if let Some(i) = table
        .headers
        .iter()
        .position(|h| matches!(kind_of(h, reference, header_style), Kind::Phone | Kind::Date))
    {
        return Err(Error::Usage(format!(
            "{}: no header row in its first rows: column {} of row {header_row} holds a phone number or a date, so its rows look like records (was the export saved without its header row?)",
            path.display(),
            i + 1
        )));
    }
    let delimiter = match format {
        Format::Csv => {
            let text = tafteesh_readers::decode(&bytes, Encoding::Auto)
                .map(|(t, _)| t)
                .unwrap_or_default();
            Some(tafteesh_readers::sniff_delimiter(&text, header_row))
        }
        Format::Xlsx => None,
    };
    let order_style = DateStyle {
        order: DateOrder::Dmy,
        excel_system: 1900,
    };
    let n = table.len().min(SAMPLE);
    let columns = table
        .headers
        .iter()
        .zip(&table.columns)
        .map(|(h, cells)| column_profile(h, &cells[..n], reference, order_style))
        .collect();
    Ok(Profile {
        format,
        sheet: sheet.map(String::from).or_else(|| sheets.first().cloned()),
        sheets,
        delimiter,
        header_row,
        rows: table.len(),
        sampled: n,
        notes: table.notes.clone(),
        columns,
    })
}

/// How much a table's header row looks like headers: the share of its
/// cells that are filled, distinct and not a number or a date, less the
/// share of its rows that are ragged.
fn header_score(t: &RawTable) -> f64 {
    if t.headers.is_empty() {
        return 0.0;
    }
    let style = DateStyle {
        order: DateOrder::Dmy,
        excel_system: 1900,
    };
    // Distinct: a row of group headings copied across the cells they
    // span ("Survivor details" four times, "Case details" three) is not
    // the header below it.
    let mut seen = std::collections::HashSet::new();
    let wordy = t
        .headers
        .iter()
        .filter(|h| {
            let blank = h.trim().is_empty() || is_placeholder(h);
            !blank
                && crate::clean::codes::parse_integer(h).is_none()
                && tafteesh_parsers::dates::parse_date(h, style).is_err()
                && seen.insert(crate::onboard::header_key(without_repeat_mark(h)))
        })
        .count();
    let ragged = if t.is_empty() {
        0.0
    } else {
        t.ragged_rows.len() as f64 / t.len() as f64
    };
    wordy as f64 / t.headers.len() as f64 - ragged
}

/// A header without the ` (2)` the reader adds to a header repeating an
/// earlier one.
fn without_repeat_mark(h: &str) -> &str {
    match h.rsplit_once(" (") {
        Some((head, n))
            if n.strip_suffix(')')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            head
        }
        _ => h,
    }
}

/// A header the reader made up for a blank one (`column 3`).
fn is_placeholder(h: &str) -> bool {
    h.strip_prefix("column ").is_some_and(|n| n.parse::<usize>().is_ok())
}

fn column_profile(header: &str, cells: &[String], reference: &Reference, style: DateStyle) -> ColumnProfile {
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut values: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut filled, mut day_first, mut month_first, mut compact_dates, mut name_like) = (0, 0, 0, 0, 0);
    for c in cells.iter().filter(|c| !c.is_empty()) {
        filled += 1;
        let k = kind_of(c, reference, style);
        *kinds.entry(k).or_default() += 1;
        if k == Kind::Date {
            let nums: Vec<u32> = c
                .split(|ch: char| !ch.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.parse().ok())
                .collect();
            if let [a, b, ..] = nums[..] {
                day_first += (a > 12 && a <= 31 && b <= 12) as usize;
                month_first += (b > 12 && b <= 31 && a <= 12) as usize;
            }
        }
        let ascii = tafteesh_parsers::digits::to_ascii_digits(c);
        if ascii.len() == 8
            && ascii.bytes().all(|b| b.is_ascii_digit())
            && chrono::NaiveDate::parse_from_str(&ascii, "%Y%m%d")
                .is_ok_and(|d| (1900..2100).contains(&chrono::Datelike::year(&d)))
        {
            compact_dates += 1;
        }
        name_like += usize::from(k == Kind::Text && looks_like_a_name(c));
        let sh: String = shape(c).chars().take(24).collect();
        *shapes.entry(sh).or_default() += 1;
        if values.len() <= MAX_CODES || values.contains_key(c.as_str()) {
            *values.entry(c.as_str()).or_default() += 1;
        }
    }
    let distinct = values.len();
    let coded = filled > 0 && distinct <= MAX_CODES && distinct * 2 <= filled;
    let mut kinds: Vec<(Kind, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shapes: Vec<(String, usize)> = shapes.into_iter().collect();
    shapes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    shapes.truncate(3);
    let codes = coded.then(|| {
        let mut v: Vec<(String, usize)> = values.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    });
    ColumnProfile {
        header: header.to_string(),
        filled,
        distinct,
        kinds,
        shapes,
        codes,
        day_first,
        month_first,
        compact_dates,
        name_like,
    }
}

/// Two to five words of letters (any script; `Md.` and `Smt.` keep their
/// dot), the first starting with a capital where the script has them, and
/// no digit: what a register's name column holds, and a village, a status
/// or a remark mostly does not (one word, a digit, a sentence).
fn looks_like_a_name(c: &str) -> bool {
    let words: Vec<&str> = c.split_whitespace().collect();
    let lettered = |w: &&str| {
        w.chars()
            .all(|ch| ch.is_alphabetic() || crate::clean::is_indic_mark(ch) || ch == '.' || ch == '\'')
            && w.chars().filter(|ch| ch.is_alphabetic()).count() >= 2
    };
    let capital = words
        .first()
        .and_then(|w| w.chars().next())
        .is_some_and(|ch| ch.is_uppercase() || !ch.is_ascii());
    (2..=5).contains(&words.len()) && words.iter().all(lettered) && capital
}

/// What one cell looks like. A small whole number is a number, not an
/// Excel serial date; ten digits are a phone before an amount.
pub fn kind_of(c: &str, reference: &Reference, style: DateStyle) -> Kind {
    use tafteesh_parsers::{amounts, dates, phones, sections};
    let integer = crate::clean::codes::parse_integer(c);
    if integer.is_some_and(|n| (0..1000).contains(&n)) {
        return Kind::Integer;
    }
    let digits = c.chars().filter(|ch| ch.is_numeric()).count();
    if digits >= 10 && phones::parse_phone(c).is_ok() {
        return Kind::Phone;
    }
    // A whole number is a date only as an Excel serial of 1954-2064.
    let serial_like = integer.is_none_or(|n| (20_000..60_000).contains(&n));
    if serial_like && dates::parse_date(c, style).is_ok() {
        return Kind::Date;
    }
    if integer.is_some() {
        return Kind::Integer;
    }
    if amounts::parse_amount(c).is_ok() {
        return Kind::Amount;
    }
    if crate::clean::codes::CodeBook::for_boolean(None).lookup(c).is_some() {
        return Kind::YesNo;
    }
    if reference.districts.lookup(c).is_some() {
        return Kind::District;
    }
    if reference.states.lookup(c).is_some() {
        return Kind::State;
    }
    if c.chars().any(|ch| ch.is_ascii_digit()) && sections::parse_sections(c, &reference.acts).is_ok() {
        return Kind::Sections;
    }
    Kind::Text
}
