//! The names inbox entries are published under: never their own.
//!
//! A file's name is whatever a partner's staff typed when they saved it:
//! `Rahima Khatun register.xlsx`, a scanned `<name> FIR copy.pdf`, a
//! docket saved under a client's name, a folder named after a village. The
//! earlier rule published a name unless a detector recognised a name or
//! phone of the file's own rows in it, and each round of hostile files
//! found a file the detector could not judge (one it cannot read, one
//! whose rows hold no name column, one no pipeline claims). So no file is
//! judged: every inbox entry, read or not, claimed or not, is published as
//! `<owner>/file-<hash>.<ext>`:
//!
//! - `owner` is the partner whose pipeline claims the file, else the one
//!   whose glob's folder holds it (an unclaimed scan dropped in a
//!   partner's folder), else `inbox`: a value of the configuration;
//! - `hash` is a keyed hash of the path (HMAC under the pseudonymisation
//!   key), ten hex digits (twenty where two of a run's entries would
//!   share ten): the same file has the same alias on every night, after a
//!   rollback and whatever else is in the inbox, with no state to keep, and
//!   no one without the key can tell which name it stands for;
//! - `ext` is kept only when it is a known export or document format
//!   (`.csv`, `.xlsx`, `.pdf`...), so a data officer can tell a workbook
//!   from a scan.
//!
//! Every published output (lake, warehouse, reports, manifest, run
//! summary, ledger), every log line and every message names files this
//! way. The real names stay in the restricted area (`file_names.csv`), and
//! `tafteesh files` looks an alias up for the data officer. [`FileAliases::redact`]
//! is the last guard: a run's error message (an I/O error that names an
//! inbox path) has every inbox path replaced by its alias before it is
//! logged, printed, recorded or sent to the alert command.

use std::collections::BTreeMap;

use crate::config::Plan;
use crate::privacy::Pseudonymizer;

/// The owner of an entry no partner's folder holds.
pub const INBOX_OWNER: &str = "inbox";

/// Extensions an alias keeps: formats partners export or drop beside
/// their exports. Anything else (an extension is text a person typed too)
/// is left off.
const KNOWN_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "json", "xml", "zip", "gz", "pdf", "doc", "docx", "jpg", "jpeg",
    "png", "tif", "tiff",
];

/// Hex digits of an alias's hash; [`LONG_DIGITS`] where two entries of
/// one run would share the short form.
const SHORT_DIGITS: usize = 10;
const LONG_DIGITS: usize = 20;

/// What kind of inbox entry an alias stands for, for `file_names.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// A partner's pipeline reads it.
    Claimed,
    /// Several partners' globs match it: not read.
    Contested,
    /// No pipeline claims it: listed, not read.
    Unclaimed,
    /// A link, special file, unreadable file or folder, or a name that is
    /// not UTF-8: never opened.
    Unusable,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Claimed => "claimed",
            EntryStatus::Contested => "contested",
            EntryStatus::Unclaimed => "unclaimed",
            EntryStatus::Unusable => "unusable",
        }
    }
}

/// One inbox entry's published name.
#[derive(Debug, Clone)]
pub struct Alias {
    pub published: String,
    pub owner: String,
    pub status: EntryStatus,
}

/// The aliases of one night's inbox, and how to make one for any path
/// (an older ledger line's file, no longer in the inbox).
#[derive(Debug, Clone)]
pub struct FileAliases {
    pseudo: Option<Pseudonymizer>,
    /// A partner's glob folders (`canning_shakti/`), longest first.
    folders: Vec<(String, String)>,
    by_path: BTreeMap<String, Alias>,
    /// Real paths, longest first, for [`FileAliases::redact`].
    longest_first: Vec<String>,
}

impl Default for FileAliases {
    /// No aliases yet: [`FileAliases::redact`] changes nothing, and
    /// [`FileAliases::of`] names every file `inbox/file`.
    fn default() -> Self {
        FileAliases {
            pseudo: None,
            folders: Vec::new(),
            by_path: BTreeMap::new(),
            longest_first: Vec::new(),
        }
    }
}

/// What the night found in the inbox, as the aliases need it (made by
/// `ingest::claim::entries`): each claimed file with its
/// partner, the unclaimed files, and the contested or unusable entries.
#[derive(Debug, Default)]
pub struct Entries {
    pub claimed: Vec<(String, String)>,
    pub unclaimed: Vec<String>,
    pub conflicts: Vec<String>,
}

impl FileAliases {
    /// The aliases of every entry the inbox listing found.
    pub fn new(plan: &Plan, inbox: &crate::inbox::Inbox, listed: &Entries, pseudo: &Pseudonymizer) -> FileAliases {
        let mut folders: Vec<(String, String)> = plan
            .pipelines
            .iter()
            .flat_map(|(_, p)| {
                p.sources
                    .iter()
                    .map(move |s| (glob_folder(&s.files), p.partner_id.clone()))
            })
            .filter(|(f, _)| !f.is_empty())
            .collect();
        folders.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        folders.dedup();
        let mut out = FileAliases {
            pseudo: Some(pseudo.clone()),
            folders,
            by_path: BTreeMap::new(),
            longest_first: Vec::new(),
        };
        let mut entries: Vec<(String, String, EntryStatus)> = Vec::new();
        for (file, partner) in &listed.claimed {
            entries.push((file.clone(), partner.clone(), EntryStatus::Claimed));
        }
        for f in &listed.unclaimed {
            entries.push((f.clone(), out.owner_of(f), EntryStatus::Unclaimed));
        }
        for f in &listed.conflicts {
            let status = if inbox.unusable.iter().any(|u| &u.path == f) {
                EntryStatus::Unusable
            } else {
                EntryStatus::Contested
            };
            entries.push((f.clone(), out.owner_of(f), status));
        }
        for u in &inbox.unusable {
            entries.push((u.path.clone(), out.owner_of(&u.path), EntryStatus::Unusable));
        }
        let mut short: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, owner, status) in entries {
            if out.by_path.contains_key(&path) {
                continue;
            }
            let published = out.make(&owner, &path, SHORT_DIGITS);
            short.entry(published.clone()).or_default().push(path.clone());
            out.by_path.insert(
                path,
                Alias {
                    published,
                    owner,
                    status,
                },
            );
        }
        // Two paths whose short aliases meet (about one night in a hundred
        // with 150,000 files) both take the long form.
        for paths in short.values().filter(|p| p.len() > 1) {
            for p in paths {
                let owner = out.by_path[p].owner.clone();
                let long = out.make(&owner, p, LONG_DIGITS);
                if let Some(a) = out.by_path.get_mut(p) {
                    a.published = long;
                }
            }
        }
        let mut longest: Vec<String> = out.by_path.keys().cloned().collect();
        longest.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        out.longest_first = longest;
        out
    }

    /// The published name of inbox entry `path`. An entry the night did
    /// not list (an older ledger line's file) gets the alias it would have
    /// had, its owner found from the globs' folders.
    pub fn of(&self, path: &str) -> String {
        match self.by_path.get(path) {
            Some(a) => a.published.clone(),
            None => self.make(&self.owner_of(path), path, SHORT_DIGITS),
        }
    }

    /// Every listed entry: real path and its alias, in path order. For the
    /// restricted area and `tafteesh files` only.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &Alias)> {
        self.by_path.iter()
    }

    /// `text` with every listed inbox path replaced by its alias: the last
    /// guard on a message that may name one (an I/O error).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for path in &self.longest_first {
            if out.contains(path.as_str()) {
                out = out.replace(path.as_str(), &self.by_path[path].published);
            }
        }
        out
    }

    /// Whether `name` has the form of an alias (`<owner>/file-<hex>[.ext]`).
    pub fn is_alias(name: &str) -> bool {
        let Some((owner, file)) = name.split_once('/') else {
            return false;
        };
        let Some(rest) = file.strip_prefix("file-") else {
            return false;
        };
        let (hash, ext) = rest.split_once('.').unwrap_or((rest, ""));
        !owner.is_empty()
            && !owner.contains(char::is_whitespace)
            && (hash.len() == SHORT_DIGITS || hash.len() == LONG_DIGITS)
            && hash.chars().all(|c| c.is_ascii_hexdigit())
            && (ext.is_empty() || KNOWN_EXTENSIONS.contains(&ext))
    }

    /// The partner whose glob folder holds `path`, else [`INBOX_OWNER`].
    fn owner_of(&self, path: &str) -> String {
        self.folders
            .iter()
            .find(|(folder, _)| path.starts_with(folder.as_str()))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| INBOX_OWNER.to_string())
    }

    fn make(&self, owner: &str, path: &str, digits: usize) -> String {
        let hash = match &self.pseudo {
            Some(p) => p.token("file-name", path)[..digits].to_string(),
            // Before the key is loaded nothing is published; a name made
            // then names no file.
            None => "0".repeat(digits),
        };
        format!("{owner}/file-{hash}{}", extension(path))
    }
}

/// The folder part of a glob before its first pattern character
/// (`canning_shakti/2024/*.csv` -> `canning_shakti/2024/`), or "" when the
/// glob starts with one.
fn glob_folder(glob: &str) -> String {
    let literal = glob.split(['*', '?', '[', '{']).next().unwrap_or_default();
    match literal.rfind('/') {
        Some(i) => literal[..=i].to_string(),
        None => String::new(),
    }
}

/// `.<ext>` when the path's extension is a known format, lower case.
fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            let ext = ext.to_ascii_lowercase();
            if KNOWN_EXTENSIONS.contains(&ext.as_str()) {
                format!(".{ext}")
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases(folders: &[(&str, &str)]) -> FileAliases {
        FileAliases {
            pseudo: Some(Pseudonymizer::from_bytes(&[7u8; 32]).unwrap()),
            folders: folders.iter().map(|(f, p)| (f.to_string(), p.to_string())).collect(),
            ..FileAliases::default()
        }
    }

    #[test]
    fn an_alias_keeps_the_owner_and_a_known_extension_and_nothing_of_the_name() {
        let a = aliases(&[("canning_shakti/", "canning_shakti")]);
        let name = a.of("canning_shakti/Rahima Khatun 9876543210.XLSX");
        assert!(
            name.starts_with("canning_shakti/file-") && name.ends_with(".xlsx"),
            "{name}"
        );
        assert!(FileAliases::is_alias(&name), "{name}");
        assert!(!name.to_lowercase().contains("rahima") && !name.contains("98765"));
        // A folder outside every glob belongs to no partner.
        let scan = a.of("Rahima/FIR copy.pdf");
        assert!(scan.starts_with("inbox/file-") && scan.ends_with(".pdf"), "{scan}");
        // An extension that is not a format is text a person typed.
        assert!(!a.of("canning_shakti/register.rahima").contains("rahima"));
        assert!(
            !a.of("canning_shakti/.xlsx").ends_with(".xlsx"),
            "a name that is only an extension"
        );
    }

    #[test]
    fn the_same_path_has_the_same_alias_and_another_key_another() {
        let a = aliases(&[]);
        assert_eq!(a.of("x/register.csv"), a.of("x/register.csv"));
        assert_ne!(a.of("x/register.csv"), a.of("x/register2.csv"));
        let mut b = aliases(&[]);
        b.pseudo = Some(Pseudonymizer::from_bytes(&[8u8; 32]).unwrap());
        assert_ne!(a.of("x/register.csv"), b.of("x/register.csv"));
    }

    #[test]
    fn a_message_naming_an_inbox_path_names_its_alias() {
        let mut a = aliases(&[]);
        for p in ["ngo/Rahima.csv", "ngo/Rahima.csv.bak"] {
            let published = a.of(p);
            a.by_path.insert(
                p.to_string(),
                Alias {
                    published,
                    owner: "ngo".into(),
                    status: EntryStatus::Claimed,
                },
            );
        }
        a.longest_first = vec!["ngo/Rahima.csv.bak".into(), "ngo/Rahima.csv".into()];
        let text = a.redact("/srv/inbox/ngo/Rahima.csv.bak: permission denied; ngo/Rahima.csv too");
        assert!(!text.contains("Rahima"), "{text}");
        assert!(text.contains(&a.of("ngo/Rahima.csv.bak")) && text.contains(&a.of("ngo/Rahima.csv")));
    }

    #[test]
    fn glob_folders_stop_at_the_first_pattern() {
        assert_eq!(glob_folder("canning_shakti/*.xlsx"), "canning_shakti/");
        assert_eq!(glob_folder("a/2024/reg-*.csv"), "a/2024/");
        assert_eq!(glob_folder("**/*.csv"), "");
        assert_eq!(glob_folder("register.csv"), "");
    }

    #[test]
    fn only_alias_shaped_names_are_aliases() {
        assert!(FileAliases::is_alias("ngo/file-0123456789.csv"));
        assert!(FileAliases::is_alias("inbox/file-0123456789abcdef0123"));
        assert!(!FileAliases::is_alias("ngo/register.csv"));
        assert!(!FileAliases::is_alias("ngo/file-Rahima.csv"));
        assert!(!FileAliases::is_alias("file-0123456789.csv"));
    }
}
