//! Any bytes as a partner's CSV, with any delimiter, encoding and header
//! row: the reader gives a table or a file error, never panics, and the
//! table it gives is well formed (every column as long as the rows, row
//! numbers rising, ragged rows inside the table, the header within bounds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tafteesh_readers::{Encoding, Format, MAX_COLUMNS, RawTable, ReadOptions, read_bytes};

pub fn check(t: &RawTable) {
    assert!(t.headers.len() <= MAX_COLUMNS);
    assert_eq!(t.headers.len(), t.columns.len());
    for c in &t.columns {
        assert_eq!(c.len(), t.rows.len());
    }
    assert!(t.rows.windows(2).all(|w| w[0] < w[1]), "row numbers rise: {:?}", t.rows);
    assert!(t.ragged_rows.iter().all(|&r| r < t.rows.len()));
    let mut names = std::collections::HashSet::new();
    assert!(t.headers.iter().all(|h| !h.is_empty() && names.insert(h)), "headers unique and named");
}

fuzz_target!(|data: &[u8]| {
    let Some((&setting, file)) = data.split_first() else {
        return;
    };
    let opts = ReadOptions {
        format: Some(Format::Csv),
        encoding: [Encoding::Auto, Encoding::Utf8, Encoding::Utf16, Encoding::Windows1252][usize::from(setting & 3)],
        delimiter: [None, Some(b','), Some(b';'), Some(b'\t')][usize::from((setting >> 2) & 3)],
        header_row: 1 + usize::from(setting >> 6),
        sheet: None,
        max_bytes: None,
        max_cells: None,
    };
    if let Ok(t) = read_bytes(file, &opts) {
        check(&t);
    }
});
