//! Any bytes as a partner's workbook: the reader gives a table or a file
//! error, never panics or allocates the sheet's whole bounding box. Seed
//! the corpus with real workbooks (`fuzz/README.md`): a random byte string
//! is rarely a ZIP archive.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tafteesh_readers::{Format, MAX_COLUMNS, ReadOptions, read_bytes};

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        format: Some(Format::Xlsx),
        header_row: 1,
        ..Default::default()
    };
    if let Ok(t) = read_bytes(data, &opts) {
        assert!(t.headers.len() <= MAX_COLUMNS);
        assert_eq!(t.headers.len(), t.columns.len());
        for c in &t.columns {
            assert_eq!(c.len(), t.rows.len());
        }
        assert!(t.rows.windows(2).all(|w| w[0] < w[1]));
        assert!(t.ragged_rows.iter().all(|&r| r < t.rows.len()));
    }
});
