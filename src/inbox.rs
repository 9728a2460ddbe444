//! The inbox: which files are there to read, and which are there but must
//! not be read.
//!
//! The inbox is a shared folder that partners and staff write into, so it
//! holds whatever they put there: a FIFO or device node (opening one blocks
//! for ever), a symbolic link to `/etc/passwd` or to a folder elsewhere, a
//! file the run's user may not read, a name that is not UTF-8. None of those
//! may stop the night or reach outside the inbox. Listing never opens
//! anything but regular files and real folders; every other entry is
//! [`Unusable`], reported as its own `NOT USED` line (exit 4), and the
//! other partners are published.
//!
//! Symbolic links are never followed, inside the inbox or out of it: a
//! partner's export is copied into the inbox, not linked. Hidden entries
//! (a leading `.`, as editors and sync tools leave them) are skipped.

use std::path::Path;

use crate::error::{Error, Result};

/// An inbox entry that is there but must not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// Path relative to the inbox, `/`-separated (bytes that are not UTF-8
    /// shown as U+FFFD).
    pub path: String,
    pub why: String,
}

/// What the inbox holds.
#[derive(Debug, Default, Clone)]
pub struct Inbox {
    /// Regular files the run may read, relative, `/`-separated, sorted.
    pub files: Vec<String>,
    /// Entries that will not be read, sorted by path.
    pub unusable: Vec<Unusable>,
}

/// List the inbox. Only a missing or unreadable inbox folder is an error.
pub fn list(inbox: &Path) -> Result<Inbox> {
    if !inbox.is_dir() {
        return Err(Error::MissingInbox(inbox.to_path_buf()));
    }
    let mut out = Inbox::default();
    let mut stack = vec![inbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            // The top folder must be readable: without it there is no night to run.
            Err(e) if dir == inbox => return Err(Error::io(inbox)(e)),
            Err(e) => {
                out.unusable.push(Unusable {
                    path: relative(inbox, &dir),
                    why: format!("the folder cannot be read ({}); nothing in it was used", e.kind()),
                });
                continue;
            }
        };
        for entry in entries {
            let entry = entry.map_err(Error::io(&dir))?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = relative(inbox, &path);
            let unusable = |why: &str| Unusable {
                path: rel.clone(),
                why: why.to_string(),
            };
            if name.to_str().is_none() {
                out.unusable.push(unusable(
                    "the file name is not valid UTF-8 (it was saved with another code page); rename it",
                ));
                continue;
            }
            // Never follows a link: the entry's own type.
            let kind = match std::fs::symlink_metadata(&path) {
                Ok(m) => m.file_type(),
                Err(e) => {
                    out.unusable
                        .push(unusable(&format!("cannot be read ({}); it was not used", e.kind())));
                    continue;
                }
            };
            if kind.is_symlink() {
                out.unusable.push(unusable(
                    "a symbolic link: links are never followed (copy the export into the inbox instead)",
                ));
            } else if kind.is_dir() {
                stack.push(path);
            } else if !kind.is_file() {
                out.unusable.push(unusable(
                    "not a regular file (a FIFO, socket or device): it was never opened",
                ));
            } else if let Err(e) = std::fs::File::open(&path) {
                out.unusable
                    .push(unusable(&format!("cannot be read ({}); it was not used", e.kind())));
            } else {
                out.files.push(rel);
            }
        }
    }
    out.files.sort();
    out.unusable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// `path` relative to `inbox`, `/`-separated.
fn relative(inbox: &Path, path: &Path) -> String {
    path.strip_prefix(inbox)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_and_special_files_are_listed_as_unusable_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path();
        std::fs::create_dir(inbox.join("p")).unwrap();
        std::fs::write(inbox.join("p/good.csv"), "a\n1\n").unwrap();
        std::fs::write(inbox.join(".hidden.csv"), "a\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", inbox.join("p/passwd.csv")).unwrap();
        std::os::unix::fs::symlink(inbox.join("nowhere"), inbox.join("p/dangling.csv")).unwrap();
        std::os::unix::fs::symlink(inbox.join("p"), inbox.join("loop")).unwrap();
        let fifo = std::ffi::CString::new(inbox.join("p/pipe.csv").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        let listed = list(inbox).unwrap();
        assert_eq!(listed.files, ["p/good.csv"]);
        let why = |p: &str| {
            listed
                .unusable
                .iter()
                .find(|u| u.path == p)
                .map(|u| u.why.clone())
                .unwrap_or_default()
        };
        assert!(why("p/passwd.csv").contains("symbolic link"));
        assert!(why("p/dangling.csv").contains("symbolic link"));
        assert!(why("loop").contains("symbolic link"));
        assert!(why("p/pipe.csv").contains("FIFO"));
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_unusable() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"reg\xe9ster.csv");
        std::fs::write(dir.path().join(name), "a\n1\n").unwrap();
        let listed = list(dir.path()).unwrap();
        assert!(listed.files.is_empty());
        assert_eq!(listed.unusable.len(), 1);
        assert!(listed.unusable[0].why.contains("UTF-8"));
    }
}
