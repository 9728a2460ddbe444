//! Record linkage in the pipeline: the adapters around the engine.
//!
//! The engine (the Fellegi-Sunter model, blocking, clustering, names, the
//! state one night leaves the next) is the `tafteesh-linkage` crate, which
//! knows records and settings, not files. Here is what connects it to the
//! night:
//!
//! - [`stage`]: the linkage stage: survivors' plaintext read from the
//!   restricted area into the engine's records, the state read and written,
//!   person keys and match weights written to the lake.
//! - [`entities`]: the shared part of linking cases and claims (rows read
//!   from the lake and the restricted area, grouped, keyed).
//! - [`cases`], [`claims`]: which rows are one case, one claim.
//!
//! It runs in the restricted stage on plaintext held in memory (read from
//! `restricted/.../linkage/`); what it writes to the lake is keys, ids and
//! match weights only.

pub mod cases;
pub mod claims;
pub mod entities;
pub mod stage;

/// The engine, for the commands that explain and score linkage.
pub use tafteesh_linkage::{Settings, eval, explain};
