//! One run at a time. A run holds an exclusive OS lock on `output/.lock`
//! for its whole life; the OS releases it when the process ends, however it
//! ends, so a lock left by a killed run never blocks the next one. The file
//! also says who holds it, for the message the second run prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::layout::Layout;

/// A held run lock; released on drop.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

impl RunLock {
    /// Take the lock in `output`, or fail at once with [`Error::Locked`].
    pub fn acquire(layout: &Layout) -> Result<RunLock> {
        let output = layout.output();
        std::fs::create_dir_all(output).map_err(Error::io(output))?;
        let path = layout.lock();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder writes who it is just after taking the lock: give it a moment.
                let mut holder = String::new();
                for _ in 0..20 {
                    holder.clear();
                    let _ = file.seek(SeekFrom::Start(0));
                    let _ = file.read_to_string(&mut holder);
                    if !holder.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                let holder = holder.trim();
                return Err(Error::Locked {
                    path,
                    holder: if holder.is_empty() {
                        "an unknown process".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path)(e)),
        }
        let who = format!(
            "tafteesh pid {} since {}",
            std::process::id(),
            chrono::Utc::now().to_rfc3339()
        );
        file.set_len(0).map_err(Error::io(&path))?;
        file.seek(SeekFrom::Start(0)).map_err(Error::io(&path))?;
        file.write_all(who.as_bytes()).map_err(Error::io(&path))?;
        file.flush().map_err(Error::io(&path))?;
        Ok(RunLock { _file: file, path })
    }
}

impl RunLock {
    /// [`RunLock::acquire`] for the run or rollback `run_id`: when another
    /// holds the lock, the refusal also goes into the ledger, so a night
    /// with no snapshot still says why.
    pub fn acquire_for(layout: &Layout, run_id: &str, started: chrono::DateTime<chrono::Utc>) -> Result<RunLock> {
        RunLock::acquire(layout).inspect_err(|e| {
            if matches!(e, Error::Locked { .. }) {
                super::ledger::record_refused(layout, run_id, started, e);
            }
        })
    }
}

impl Drop for RunLock {
    /// Clear the holder's name while the lock is still held, so the file
    /// names no one once the run is over (see [`holder`]).
    fn drop(&mut self) {
        let _ = self._file.set_len(0);
    }
}

/// The run going now, as its lock file names it ("tafteesh pid N since
/// T"), or `None`. Only reads: taking the lock to test it would refuse a
/// run that starts in that instant. A run killed before it could clear
/// the file left its name there, so the named process must still be
/// alive and be tafteesh.
pub fn holder(layout: &Layout) -> Option<String> {
    let text = std::fs::read_to_string(layout.lock()).ok()?;
    let text = text.trim();
    let pid: i32 = text
        .strip_prefix("tafteesh pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // A dead run's number may since have gone to this very process.
    (pid as u32 != std::process::id() && alive_tafteesh(pid)).then(|| text.to_string())
}

#[cfg(target_os = "linux")]
fn alive_tafteesh(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|name| name.contains("tafteesh"))
        .unwrap_or(false)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn alive_tafteesh(pid: i32) -> bool {
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[cfg(not(unix))]
fn alive_tafteesh(_: i32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(&Layout::new(dir.path())).unwrap();
        let err = RunLock::acquire(&Layout::new(dir.path())).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        RunLock::acquire(&Layout::new(dir.path())).expect("released on drop");
    }
}
