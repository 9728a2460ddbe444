//! Free disk space, to say "the disk is full" when it is. A full disk
//! reaches the job through libraries that do not say so: the Parquet
//! writer reports `Invalid thrift: transport error`, DuckDB an I/O error
//! on its own temporary file. When a step fails and the folder it wrote to
//! has almost no space left, the error says that instead, with the folder.

use std::path::Path;

use crate::error::Error;

/// Below this many free bytes, a failed write is taken to be a full disk.
const NEARLY_FULL: u64 = 64 << 20;

/// Bytes free for this user on the file system holding `path` (its
/// nearest existing ancestor); `None` when it cannot be told.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let mut at = path;
    while !at.exists() {
        at = at.parent()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(at.as_os_str().as_bytes()).ok()?;
        let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid C string and `s` a statvfs to fill.
        if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
            return None;
        }
        Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `e`, or, when the disk holding `dir` is (nearly) full, an I/O error on
/// `dir` that says so, with the original cause after it.
pub fn explain(e: Error, dir: &Path) -> Error {
    if matches!(e, Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::StorageFull) {
        return e;
    }
    match free_bytes(dir) {
        Some(free) if free < NEARLY_FULL => Error::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!(
                    "the disk is full ({} MiB free): free space, then run again (the step failed with: {e})",
                    free >> 20
                ),
            ),
        },
        _ => e,
    }
}
