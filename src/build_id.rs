//! This build's identity, apart from the run that fingerprints with it, so
//! every stage that must not reuse what another build computed (the run's
//! manifest, linkage's state) can read it without importing the run.

/// A SHA-256 of the build's sources, lock file, compiler, profile and
/// target, computed by `build.rs`. The same for every copy of the binary,
/// stripped or not; different for any change to the code.
pub const BUILD_ID: &str = env!("TAFTEESH_BUILD_ID");
