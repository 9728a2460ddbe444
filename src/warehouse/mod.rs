//! The warehouse: an embedded DuckDB file built from the lake's Parquet, with
//! the SQL models of `sql/` run in dependency order and their tests checked.
//!
//! Models are layered like dbt: `staging` (only these read the lake's raw
//! tables), `intermediate` (built for the run, never kept), `marts`, then
//! `indicators`, whose rows are gathered into one
//! `indicator_values` table. Each model has a TOML file beside it with its
//! description, grain, declared dependencies (`depends_on`, dbt's `ref()`)
//! and tests (unique, not null, accepted values).
//!
//! DuckDB never reaches for the network: extension autoinstall and autoload
//! are off, so a nightly run behaves the same offline.
//!
//! Every run builds the whole warehouse again, even when one partner's
//! export changed; the build is made fast rather than incremental.
//! - Almost every figure is a consortium figure. Linkage joins a changed
//!   record's person, case and claim to other partners' records. Golden
//!   records take each field from any partner. Every breakdown and period
//!   aggregates them. One partner's change thus reaches rows of nearly
//!   every mart and indicator.
//! - Carrying those changes through 26 models and 21 indicators would be
//!   a second implementation of every model. A slip in it would give a
//!   figure that differs, quietly, from the one a full build gives, and
//!   those figures go to District Magistrates.
//! - What depends on one partner alone (its raw rows, its own indicator
//!   rows) is a small part of the build.
//! - A snapshot's warehouse is a new file, and writing a row costs much of
//!   what computing it does: copying the rows an unchanged partner had
//!   last night costs more than half of computing them all.
//!
//! So a night's figures equal a full rebuild's by construction, and a
//! randomised test holds every published file to it, night after night
//! (`tests/integration/nights.rs`): an incremental warehouse may replace
//! the construction as long as that test passes. What made
//! the build faster: staging models are views over the lake tables, not a
//! second copy of them; `periods_of` looks periods up by month instead of
//! formatting them for every record; court pendency counts cases with
//! the same dates once; and the lake's tables are loaded, and the models
//! built, two at a time on two connections, each model once the models it
//! reads are built (at 100,000 survivors a table is a row group or two,
//! written on one thread). Each step's time is in the ledger
//! ([`BuildMetrics::steps`]).
//!
//! [`catalogue`] loads `sql/` once (models, metadata, declared
//! dependencies); [`build`] runs it into a DuckDB file; [`model_tests`]
//! checks each model's declared tests; [`history`] keeps every published
//! run's figures. The SQL logic tests of `sql/tests/` are their own test
//! target (`cargo test --release --test sql`).

pub mod build;
pub mod catalogue;
pub mod history;
pub mod marts;
pub mod model_tests;
pub mod research_lake;

use std::path::Path;

use duckdb::Connection;

use crate::error::{Error, Result};
pub use build::{BuildMetrics, LakeInput, StepTiming, build};
pub use catalogue::{IndicatorMeta, Model, ModelMeta, ModelTests, PILLARS, Project};

/// What the build needs to know about its run.
pub struct BuildOptions<'a> {
    pub run_id: &'a str,
    /// The date the figures are as of: the current period ends here.
    pub as_of: chrono::NaiveDate,
    /// Small-cell suppression threshold (config `suppression.k`).
    pub suppression_k: u32,
    /// Folder of earlier runs' indicator values (`output/history/indicator_values`).
    pub history: &'a Path,
    /// Where a history file that cannot be read is moved to.
    pub history_unreadable: &'a Path,
    /// Where this run's indicator values are written, for the history
    /// folder once the run is published.
    pub history_file: &'a Path,
    /// The current snapshot's warehouse, whose indicator history this
    /// build carries forward when it may (see [`history`]).
    pub previous: Option<&'a Path>,
    /// The secret of the research tier's record keys
    /// ([`research_lake::set_up_record_keys`]).
    pub record_key_salt: &'a str,
}

/// The oldest DuckDB storage format the warehouse is written in. Researchers
/// open it with the client they have: the CLI, Python or R package of any
/// DuckDB from 1.0 on (R's CRAN package and Metabase's driver are 1.x).
/// DuckDB 2.0 would otherwise write a format no 1.x client reads.
pub const STORAGE_COMPATIBILITY: &str = "v1.0.0";

/// Open a DuckDB connection that never loads or installs extensions on its
/// own, and writes a database file DuckDB 1.x clients can read.
pub fn open(path: &Path) -> Result<Connection> {
    let opening = || format!("opening {}", path.display());
    let config = duckdb::Config::default()
        .with("storage_compatibility_version", STORAGE_COMPATIBILITY)
        .map_err(Error::warehouse(opening()))?;
    let conn = Connection::open_with_flags(path, config).map_err(Error::warehouse(opening()))?;
    session(conn)
}

/// Open a published warehouse read-only (an extract reads it and changes
/// nothing), set up as [`open`] sets up its connections.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    let opening = || format!("opening {} read-only", path.display());
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .map_err(Error::warehouse(opening()))?;
    let conn = Connection::open_with_flags(path, config).map_err(Error::warehouse(opening()))?;
    session(conn)
}

/// Every connection: no extension loaded or installed on its own, and the
/// staging schema searched.
fn session(conn: Connection) -> Result<Connection> {
    conn.execute_batch("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;")
        .map_err(Error::warehouse("turning extension autoloading off"))?;
    search_staging(&conn)?;
    Ok(conn)
}

/// The schema of the build's scratch database that holds the lake's tables
/// (`raw_*`, views over its Parquet files) and the staging models (`stg_*`)
/// while the warehouse is built; neither is written to the file, which
/// holds no copy of the lake. A warehouse published before this version
/// has a `staging` schema of its own, which [`search_staging`] still
/// searches.
pub const STAGING: &str = "staging";

/// MIS accuracy per published run, partner and table: a view over `run_ledger`
/// (made by [`crate::run::ledger::load_into`]).
pub const ACCURACY_VIEW: &str = "dq_accuracy_history";

/// The lake tables loaded into the file's `main`: what each file held and
/// what became of its rows (by file alias; no record in it).
pub const RAW_IN_MAIN: [&str; 1] = ["load_files"];

/// Let unqualified names find the staging schema's tables too (when the
/// file has one), as the models are written: `SET search_path` lasts for
/// the connection only, so a researcher's client still sees `main` alone.
pub fn search_staging(conn: &Connection) -> Result<()> {
    let has: bool = conn
        .query_row(
            "select count(*) > 0 from duckdb_schemas() where schema_name = ? and database_name = current_database()",
            [STAGING],
            |r| r.get(0),
        )
        .map_err(Error::warehouse("looking for the staging schema"))?;
    if has {
        conn.execute_batch(&format!("SET search_path = 'main,{STAGING}'"))
            .map_err(Error::warehouse("setting the search path"))?;
    }
    Ok(())
}

/// A SQL string literal.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
