//! tafteesh: partner MIS exports to a pseudonymised Parquet lake, a DuckDB
//! warehouse and the Tafteesh programme's indicators.
//!
//! Stages, in order: [`config`] resolves one validated plan; [`ingest`]
//! extracts ([`extract`]), stages and cleans ([`clean`]) every partner file,
//! pseudonymising direct identifiers ([`privacy`]) and quarantining unusable
//! rows; [`job`] writes the lake, builds the [`warehouse`], writes the
//! [`report`] and publishes one snapshot, recomputing only the partners
//! whose inputs changed ([`manifest`]) and recording every run in the
//! [`ledger`]. [`synth`] makes demo data with a ground truth.
//!
//! Survivors' names, guardians' names, phones and villages never leave the
//! restricted area in plaintext, and never appear in a log line or an error.

pub mod accounting;
pub mod clean;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod inbox;
pub mod ingest;
pub mod lake;
pub mod layout;
pub mod link;
pub mod metrics;
pub mod period;
pub mod privacy;
pub mod progress;
pub mod report;
pub mod restricted;
pub mod run;
pub mod suppress;
pub mod synth;
pub mod warehouse;

pub use error::{Error, Exit, Result};
