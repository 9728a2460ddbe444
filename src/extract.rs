//! Extract: read one partner export into a table of text cells, as its
//! pipeline source describes. The readers themselves live in
//! `crates/readers` (bounded against hostile files, and fuzzed there); this
//! module only turns a source's settings into theirs.

use std::path::Path;

pub use tafteesh_readers::{FileError, RawTable};

use crate::config::pipeline::Source;

/// Read one file as the source describes.
pub fn read(path: &Path, source: &Source) -> Result<RawTable, FileError> {
    tafteesh_readers::read(path, &source.read_options())
}
