//! The pure parsers of tafteesh: text in, typed value or a reason out.
//!
//! They live in their own crate, with no dependency beyond chrono and serde,
//! so that `cargo fuzz` (see `fuzz/`) can build them with sanitizers in a
//! minute instead of rebuilding polars and DuckDB's C++ for an hour. They
//! never see a file, a row number or a config: the cleaning stage in the
//! main crate calls them once per distinct cell and turns their errors into
//! findings.

pub mod amounts;
pub mod dates;
pub mod digits;
pub mod phones;
pub mod sections;
pub mod text;
