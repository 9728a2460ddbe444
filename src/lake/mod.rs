//! The Parquet lake: `lake/<table>/<partner>.parquet`, one file per
//! partner and table so an unchanged partner's parts can be carried to the
//! next snapshot as they are, and `consortium.parquet` for what linkage
//! derives across partners. This module names the lake's tables and owns
//! every Parquet read and write of it; [`dq`] builds the data-quality
//! tables it holds beside the canonical ones.
//!
//! The lake is published: it holds tokens, never plaintext identifiers
//! (those live in [`crate::restricted`]).

pub mod dq;

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::accounting::{FileReport, TableCount};
use crate::error::{Error, Result};

/// The lake's tables besides the canonical ones (one per schema); each is a
/// folder of Parquet files, one per partner.
pub const DQ_TABLES: [&str; 4] = ["dq_issues", "dq_fields", "dq_unknown_places", "load_files"];

/// The tables linkage writes, one `consortium.parquet` each.
pub const LINK_TABLES: [&str; 3] = ["link_survivors", "link_cases", "link_claims"];

/// The lake's file names are the layout's.
pub use crate::layout::lake::{consortium, contested, part, table_dir, table_glob};

/// Write `table`'s consortium file (what linkage derives across partners).
pub fn write_consortium(df: &mut DataFrame, lake: &Path, table: &str) -> Result<()> {
    let dir = table_dir(lake, table);
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    write_parquet(df, &consortium(lake, table))
}

/// The tables ingest writes per partner: every canonical table of the
/// model, then the data-quality tables.
pub fn partner_tables(model: &crate::config::Model) -> Vec<String> {
    model
        .schemas
        .iter()
        .map(|s| s.table.clone())
        .chain(DQ_TABLES.iter().map(|t| t.to_string()))
        .collect()
}

/// Make the lake's folders at `lake`, one per table.
pub fn create(lake: &Path, tables: &[String]) -> Result<()> {
    for t in tables {
        let dir = table_dir(lake, t);
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    }
    Ok(())
}

/// Write a frame as Parquet (zstd, level 1).
///
/// Level 1, not zstd's default 3: a night cleans one partner, and writing
/// its staged raw rows was the longest of the steps it runs side by side.
/// Level 1 writes them faster, and the files come out no larger (the
/// sitting that showed it is in docs/benchmarks.md).
///
/// The file's Arrow schema (the `ARROW:schema` key Arrow readers restore
/// types from) is written at polars' oldest compatibility level: plain
/// `large_string` columns, not the `string_view` of Arrow 15+, which
/// pyarrow 14 and older, and Spark and Trino on older Arrow, refuse
/// ("Unrecognized type: 24"). The Parquet data is the same either way.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let level = polars_parquet::write::ZstdLevel::try_new(1).map_err(Error::frame("choosing the zstd level"))?;
    let f = std::fs::File::create(path).map_err(Error::io(path))?;
    let schema = polars_parquet::write::schema_to_metadata_key(&df.schema().to_arrow(CompatLevel::oldest()));
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(Some(level)))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            schema.key,
            schema.value.unwrap_or_default(),
        )])))
        .finish(df)
        .map_err(Error::frame(format!("writing {}", path.display())))?;
    Ok(())
}

/// Read a whole Parquet file.
pub fn read(path: &Path) -> Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    ParquetReader::new(f)
        .finish()
        .map_err(Error::frame(format!("reading {}", path.display())))
}

/// Read some columns of a Parquet file (each must be there).
pub fn read_columns(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    ParquetReader::new(f)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .finish()
        .map_err(Error::frame(format!("reading {}", path.display())))
}

/// A column as text, `None` per row where it is null or the column is absent.
pub fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    borrowed(&text_column(df, name), df.height())
        .into_iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// A column cast to text and kept whole, so [`borrowed`] can lend its
/// values without a string per value; `None` when the frame lacks it.
pub fn text_column(df: &DataFrame, name: &str) -> Option<Column> {
    df.column(name).ok().and_then(|c| c.cast(&DataType::String).ok())
}

/// The values of a [`text_column`], borrowed from it (`n` blanks when
/// there is no column): what [`strings`] gives, without copying each
/// value. Linkage reads a million survivors' identifiers this way.
pub fn borrowed(column: &Option<Column>, n: usize) -> Vec<Option<&str>> {
    match column {
        Some(c) => c.str().expect("cast to string").iter().collect(),
        None => vec![None; n],
    }
}

pub fn ints(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    match df.column(name).ok().and_then(|c| c.cast(&DataType::Int64).ok()) {
        Some(c) => c.i64().expect("cast to i64").iter().collect(),
        None => vec![None; df.height()],
    }
}

pub fn dates(df: &DataFrame, name: &str) -> Vec<Option<NaiveDate>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    ints(df, name)
        .into_iter()
        .map(|d| d.map(|d| epoch + chrono::Duration::days(d)))
        .collect()
}

/// Each partner's Parquet file of a lake table, by partner id, in order.
/// A table no partner exported has no folder: no files.
pub fn partner_files(lake: &Path, table: &str) -> Result<Vec<(String, std::path::PathBuf)>> {
    let dir = table_dir(lake, table);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(Error::io(&dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|p| {
            let partner = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            (partner, p)
        })
        .collect())
}

/// One row per file and table; a file that fed no table gets one row of zeros.
pub fn load_files_frame(files: &[FileReport]) -> Result<polars::prelude::DataFrame> {
    let none = TableCount::default();
    let rows: Vec<(&FileReport, &TableCount)> = files
        .iter()
        .flat_map(|f| {
            let tables: Vec<&TableCount> = if f.tables.is_empty() {
                vec![&none]
            } else {
                f.tables.iter().collect()
            };
            tables.into_iter().map(move |t| (f, t))
        })
        .collect();
    let col_s = |name: &str, v: Vec<String>| Column::new(name.into(), v);
    let col_i = |name: &str, v: Vec<i64>| Column::new(name.into(), v);
    DataFrame::new_infer_height(vec![
        col_s("partner_id", rows.iter().map(|(f, _)| f.partner_id.clone()).collect()),
        col_s("source", rows.iter().map(|(f, _)| f.source.clone()).collect()),
        col_s("source_file", rows.iter().map(|(f, _)| f.file.clone()).collect()),
        Column::new(
            "error".into(),
            rows.iter().map(|(f, _)| f.error.clone()).collect::<Vec<_>>(),
        ),
        col_s("table_name", rows.iter().map(|(_, t)| t.table.clone()).collect()),
        col_i("rows_read", rows.iter().map(|(f, _)| f.rows_read as i64).collect()),
        col_i("blank_rows", rows.iter().map(|(f, _)| f.blank_rows as i64).collect()),
        col_i("duplicates", rows.iter().map(|(f, _)| f.duplicates as i64).collect()),
        col_i("no_record", rows.iter().map(|(_, t)| t.no_record as i64).collect()),
        col_i("quarantined", rows.iter().map(|(_, t)| t.quarantined as i64).collect()),
        col_i("kept", rows.iter().map(|(_, t)| t.kept as i64).collect()),
        col_i("warnings", rows.iter().map(|(_, t)| t.warnings as i64).collect()),
        col_i(
            "clean_records",
            rows.iter().map(|(_, t)| t.clean_records as i64).collect(),
        ),
        Column::new(
            "newest_date".into(),
            rows.iter()
                .map(|(_, t)| t.newest_date.map(crate::clean::days_since_epoch))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .map_err(Error::frame("building load_files"))?,
        Column::new(
            "exported_at".into(),
            rows.iter()
                .map(|(f, _)| f.exported_at.map(|t| t.timestamp_micros()))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map_err(Error::frame("building load_files"))?,
    ])
    .map_err(Error::frame("building load_files"))
}
