//! Integration tests: the real binary, run in fresh temporary folders, on
//! fixture files named after their quirk and on the generator's demo data
//! compared with its ground truth.

mod canaries;
mod demo_truth;
mod extracts;
mod fixtures;
mod hostile;
mod interop;
mod job_state;
mod linkage;
mod nightly;
mod nights;
mod onboard;
mod operations;
mod partner_configs;
mod programme_truth;
mod readme;
mod reports;
mod util;
