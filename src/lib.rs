//! tafteesh: partner MIS exports to a pseudonymised Parquet lake, a DuckDB
//! warehouse and the Tafteesh programme's indicators.
//!
//! Stages, in order: [`config`] resolves one validated plan; [`ingest`]
//! extracts ([`extract`]), cleans ([`clean`]) and accounts for
//! ([`accounting`]) every partner file, pseudonymising direct identifiers
//! ([`privacy`]), writing the [`lake`] and, with plaintext, the
//! [`restricted`] area; [`link`] finds each survivor, case and claim across
//! partners (the engine is the `tafteesh-linkage` crate); the [`warehouse`] runs the SQL models and indicators, which
//! [`suppress`] guards and [`report`] publishes. [`run`] orchestrates a
//! night: plan, stages, publish, recomputing only the partners whose inputs
//! changed and recording every run in its ledger; [`layout`] names every
//! path under the output folder. [`synth`] makes demo data with a ground
//! truth; [`study`] writes de-identified research extracts; [`onboard`] profiles a new partner's export and drafts its config.
//!
//! Survivors' names, guardians' names, phones and villages never leave the
//! restricted area in plaintext, and never appear in a log line or an error.

pub mod accounting;
pub mod aliases;
pub mod bench;
pub mod build_id;
pub mod clean;
pub mod cli;
pub mod config;
pub mod disk;
pub mod error;
pub mod extract;
pub mod inbox;
pub mod ingest;
pub mod lake;
pub mod layout;
pub mod link;
pub mod metrics;
pub mod onboard;
pub mod period;
pub mod privacy;
pub mod progress;
pub mod report;
pub mod restricted;
pub mod run;
pub mod study;
pub mod suppress;
pub mod synth;
pub mod warehouse;

pub use error::{Error, Exit, Result};
