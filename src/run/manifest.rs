//! The input manifest: what a snapshot was built from, and the fingerprints
//! that decide what the next run must recompute.
//!
//! Every inbox file is recorded with its size, modification time and
//! SHA-256. Hashing is what makes "unchanged" trustworthy, and it is also
//! what would make a no-op slow on a large inbox, so a file whose size and
//! modification time (to the nanosecond) match the previous manifest keeps
//! its recorded hash unread, as `make` and `git` do; `--force` rebuilds
//! whatever the manifest says.
//!
//! Fingerprints nest. The model fingerprint covers the compiled-in schemas,
//! SQL and the tafteesh binary itself; a partner's fingerprint adds the key
//! fingerprint, its pipeline file and the hashes of the files it claims; the
//! run fingerprint covers every partner, the unclaimed files and the
//! conflicts. Equal run fingerprints mean the same inputs; equal partner
//! fingerprints mean that partner's cleaned output can be carried over.
//! Cleaning also depends on the day (dates in the future are flagged), which
//! [`DateWindow`] accounts for.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aliases::FileAliases;
use crate::clean::DateWindow;
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::ingest::{Claims, FileReport};
use crate::layout::SnapshotDir;

/// One inbox file as the run saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFile {
    /// The file's alias (see [`crate::aliases`]), never its name.
    pub path: String,
    /// The partner whose pipeline claims it; None when unclaimed or contested.
    pub partner_id: Option<String>,
    pub bytes: u64,
    pub modified: DateTime<Utc>,
    /// Modification time in nanoseconds since the epoch: the "unchanged" test.
    pub modified_ns: i64,
    pub sha256: String,
}

/// What one partner contributed to a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerEntry {
    pub fingerprint: String,
    pub files: Vec<FileReport>,
    pub window: DateWindow,
}

/// What a snapshot was built from, saved as `manifest.json` in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub tafteesh_version: String,
    pub model_fingerprint: String,
    /// Model, key and every pipeline config.
    pub config_fingerprint: String,
    /// Everything the snapshot depends on: configs and inputs.
    pub fingerprint: String,
    /// The pseudonymisation key's fingerprint (a keyed hash, never the
    /// key): a night with another key is refused unless told
    /// (`--new-key`). Absent in snapshots from before it was kept.
    #[serde(default)]
    pub key_fingerprint: Option<String>,
    pub inputs: Vec<InputFile>,
    pub partners: BTreeMap<String, PartnerEntry>,
    pub unclaimed: Vec<String>,
}

impl InputFile {
    /// The file as the ledger records it.
    pub fn ledger(&self) -> super::ledger::LedgerInput {
        super::ledger::LedgerInput {
            path: self.path.clone(),
            partner_id: self.partner_id.clone(),
            bytes: self.bytes,
            modified: self.modified,
            sha256: self.sha256.clone(),
        }
    }
}

impl Manifest {
    /// The manifest of the snapshot in `dir`, if it has a readable one.
    pub fn read(dir: &SnapshotDir) -> Option<Manifest> {
        let bytes = std::fs::read(dir.manifest()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn write(&self, dir: &SnapshotDir) -> Result<()> {
        let path = dir.manifest();
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        std::fs::write(&path, json).map_err(Error::io(&path))
    }

    /// Does every partner's cleaning still hold on `today`?
    pub fn holds_on(&self, today: chrono::NaiveDate) -> bool {
        self.partners.values().all(|p| p.window.holds_on(today))
    }
}

/// Stat and hash every inbox file (`files`, relative paths), reusing the
/// previous manifest's hash for a file whose alias, size and modification
/// time are unchanged. Each is recorded under its alias.
pub fn scan_inputs(
    inbox: &Path,
    files: &[String],
    aliases: &FileAliases,
    previous: Option<&Manifest>,
) -> Result<Vec<InputFile>> {
    let known: BTreeMap<&str, &InputFile> = previous
        .map(|m| m.inputs.iter().map(|i| (i.path.as_str(), i)).collect())
        .unwrap_or_default();
    let mut hashed = 0usize;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let path = inbox.join(f);
        let alias = aliases.of(f);
        let meta = std::fs::metadata(&path).map_err(Error::io(&path))?;
        let modified: DateTime<Utc> = meta.modified().map_err(Error::io(&path))?.into();
        let modified_ns = modified.timestamp_nanos_opt().unwrap_or(i64::MAX);
        let sha256 = match known.get(alias.as_str()) {
            Some(k) if k.bytes == meta.len() && k.modified_ns == modified_ns => k.sha256.clone(),
            _ => {
                hashed += 1;
                sha256_file(&path)?
            }
        };
        out.push(InputFile {
            path: alias,
            partner_id: None,
            bytes: meta.len(),
            modified,
            modified_ns,
            sha256,
        });
    }
    tracing::debug!(files = files.len(), hashed, "inbox manifest");
    Ok(out)
}

/// The SHA-256 of a file, in hex, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(Error::io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A hash of length-prefixed parts, so ("ab","c") and ("a","bc") differ.
fn digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

use crate::build_id::BUILD_ID;

/// The version and the build's identity ([`BUILD_ID`]), so a rebuilt
/// tafteesh never reuses what an older build computed, while the same build
/// copied, stripped or reinstalled does. The compiled-in model (schemas,
/// reference data, SQL) is part of the identity: `build.rs` hashes the
/// folders it is compiled from.
pub fn model_fingerprint() -> String {
    digest([env!("CARGO_PKG_VERSION").as_bytes(), BUILD_ID.as_bytes()])
}

/// Every fingerprint of a run, computed before anything is read.
#[derive(Debug, Clone)]
pub struct Fingerprints {
    pub model: String,
    pub config: String,
    pub run: String,
    pub partners: BTreeMap<String, String>,
}

/// Fingerprint the plan and the claimed inputs (`inputs` recorded under
/// their aliases).
pub fn fingerprints(
    plan: &Plan,
    key_fingerprint: &str,
    claims: &Claims<'_>,
    aliases: &FileAliases,
    inputs: &[InputFile],
) -> Result<Fingerprints> {
    let model = model_fingerprint();
    let hash_of: BTreeMap<&str, &str> = inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    let mut config_parts: Vec<Vec<u8>> = vec![model.clone().into_bytes(), key_fingerprint.as_bytes().to_vec()];
    // The installation's known values change what cleaning publishes: part
    // of every partner's fingerprint.
    let reference = match &plan.reference_file {
        Some(path) => std::fs::read(path).map_err(Error::io(path))?,
        None => Vec::new(),
    };
    let mut partners = BTreeMap::new();
    for (path, p) in &plan.pipelines {
        let text = std::fs::read(path).map_err(Error::io(path))?;
        let mut parts: Vec<Vec<u8>> = vec![
            model.clone().into_bytes(),
            key_fingerprint.as_bytes().to_vec(),
            p.partner_id.clone().into_bytes(),
            text.clone(),
            reference.clone(),
        ];
        for c in claims.by_partner.get(&p.partner_id).into_iter().flatten() {
            let alias = aliases.of(&c.file);
            parts.push(format!("{} {alias}", c.source_index).into_bytes());
            parts.push(
                hash_of
                    .get(alias.as_str())
                    .copied()
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec(),
            );
        }
        partners.insert(p.partner_id.clone(), digest(parts.iter().map(|v| v.as_slice())));
        config_parts.push(p.partner_id.clone().into_bytes());
        config_parts.push(text);
    }
    // Linkage settings change every person key, so they are part of the config.
    if let Some(path) = &plan.linkage_file {
        config_parts.push(std::fs::read(path).map_err(Error::io(path))?);
    }
    config_parts.push(reference);
    let config = digest(config_parts.iter().map(|v| v.as_slice()));
    let mut run_parts: Vec<Vec<u8>> = vec![config.clone().into_bytes()];
    for (id, fp) in &partners {
        run_parts.push(id.clone().into_bytes());
        run_parts.push(fp.clone().into_bytes());
    }
    for f in &claims.unclaimed {
        run_parts.push(format!("unclaimed {}", aliases.of(f)).into_bytes());
    }
    for c in &claims.conflicts {
        let why = c.error.as_deref().unwrap_or_default();
        run_parts.push(format!("contested {} {} {why}", c.partner_id, aliases.of(&c.file)).into_bytes());
    }
    Ok(Fingerprints {
        run: digest(run_parts.iter().map(|v| v.as_slice())),
        model,
        config,
        partners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_keep_parts_apart() {
        assert_ne!(digest([b"ab".as_slice(), b"c"]), digest([b"a".as_slice(), b"bc"]));
        assert_eq!(digest([b"ab".as_slice(), b"c"]), digest([b"ab".as_slice(), b"c"]));
    }

    #[test]
    fn an_unchanged_file_keeps_its_hash_unread_and_a_changed_one_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"one").unwrap();
        let files = vec!["a.csv".to_string()];
        let aliases = FileAliases::default();
        let first = scan_inputs(dir.path(), &files, &aliases, None).unwrap();
        assert_eq!(first[0].sha256, hex::encode(Sha256::digest(b"one")));
        // A manifest that records a different hash for the same size and time wins:
        // proof that the file was not read again.
        let mut previous = Manifest {
            run_id: "r".into(),
            tafteesh_version: String::new(),
            model_fingerprint: String::new(),
            config_fingerprint: String::new(),
            fingerprint: String::new(),
            key_fingerprint: None,
            inputs: first.clone(),
            partners: BTreeMap::new(),
            unclaimed: vec![],
        };
        previous.inputs[0].sha256 = "recorded".into();
        assert_eq!(
            scan_inputs(dir.path(), &files, &aliases, Some(&previous)).unwrap()[0].sha256,
            "recorded"
        );
        std::fs::write(dir.path().join("a.csv"), b"two!").unwrap();
        let again = scan_inputs(dir.path(), &files, &aliases, Some(&previous)).unwrap();
        assert_eq!(again[0].sha256, hex::encode(Sha256::digest(b"two!")));
    }

    #[test]
    fn a_date_window_holds_until_a_parsed_date_crosses_the_day() {
        use chrono::NaiveDate;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut w = DateWindow::default();
        w.add(d("2026-11-01"), d("2026-11-20"));
        w.add(d("2026-12-05"), d("2026-11-20"));
        w.add(d("1901-01-01"), d("2026-11-20"));
        assert!(w.holds_on(d("2026-11-20")));
        assert!(w.holds_on(d("2026-12-03")));
        assert!(
            !w.holds_on(d("2026-12-04")),
            "the future date is no longer in the future"
        );
        assert!(!w.holds_on(d("2026-10-30")), "a past date would now be in the future");
    }
}
