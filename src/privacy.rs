//! Pseudonymisation and the restricted area.
//!
//! Direct identifiers (names, guardian names, phones, villages) are replaced
//! by keyed tokens, HMAC-SHA-256 under a secret key, before anything reaches
//! the lake, the warehouse or a report; partners' own identifiers
//! (references, FIR numbers) by keyed pseudonyms ([`Pseudonymizer::reference`]). Without the key a token cannot be
//! reversed or recomputed from a guessed name; with it, the same normalised
//! value always gives the same token, so linkage can match on tokens.
//!
//! The plaintext stays in the restricted area: the inbox, and the folders
//! of [`crate::restricted`], owner-only. This module never logs, formats or
//! returns a plaintext value.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::KeySource;
use crate::error::{Error, Result};

/// The smallest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// A loaded pseudonymisation key.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<key hidden>)")
    }
}

impl Pseudonymizer {
    /// A pseudonymizer from raw key bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::Key(format!(
                "the key must be at least {MIN_KEY_BYTES} bytes (64 hex characters)"
            )));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| Error::Key("unusable key".into()))?;
        Ok(Self { mac })
    }

    /// Load the key from where the plan says. A key file readable by group or
    /// others is refused: it protects every survivor's name.
    pub fn load(source: Option<&KeySource>) -> Result<Self> {
        let hex_text = match source {
            None => {
                return Err(Error::Key(
                    "no key: set `key_file` in tafteesh.toml (run `tafteesh keygen FILE` to make one) or TAFTEESH_KEY"
                        .into(),
                ));
            }
            Some(KeySource::Inline(k)) => k.clone(),
            Some(KeySource::File(path)) => {
                // A key that is not there is a set-up problem (exit 6), not
                // an I/O failure: say which file and how to make one.
                let unreadable = |e: std::io::Error| {
                    Error::Key(format!(
                        "key_file {} cannot be read ({}); run `tafteesh keygen {}` to make one, or point key_file at the key",
                        path.display(),
                        match e.kind() {
                            std::io::ErrorKind::NotFound => "it does not exist".to_string(),
                            _ => e.to_string(),
                        },
                        path.display()
                    ))
                };
                check_owner_only(path).map_err(|e| match e {
                    Error::Io { source, .. } => unreadable(source),
                    other => other,
                })?;
                std::fs::read_to_string(path).map_err(unreadable)?
            }
        };
        let bytes = hex::decode(hex_text.trim()).map_err(|_| Error::Key("the key must be written in hex".into()))?;
        Self::from_bytes(&bytes)
    }

    /// The token of a value of a given kind. The kind is mixed in, so a name
    /// and a village that happen to be spelled alike get different tokens.
    pub fn token(&self, kind: &str, normalised: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0x1f]);
        mac.update(normalised.as_bytes());
        let out = mac.finalize().into_bytes();
        hex::encode(&out[..16])
    }

    /// The secret the research tier's record keys are made with
    /// (`warehouse::research_lake`): keyed, so without the key no one can
    /// compute a record's key from its reference, and its own kind, so a
    /// record key never equals the lake's pseudonym of the same reference.
    pub fn record_key_salt(&self) -> String {
        self.token("research record key", "salt")
    }

    /// The published form of a partner's own identifier (a survivor's,
    /// case's or claim's reference, an FIR number), as cleaned (spaces
    /// folded): a keyed pseudonym of the partner and the value, sixteen hex
    /// digits. Within a partner equal identifiers stay equal, so records
    /// still join (a case to its survivor); across partners they do not
    /// meet, and without the key no one can tell which identifier it was
    /// (a beneficiary id that is her phone number, an FIR one can look up).
    /// White space is folded first (as cleaning folds a cell), so the
    /// pseudonym of an id as a truth file or a data officer writes it is
    /// the one published.
    pub fn reference(&self, partner: &str, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"reference\x1f");
        mac.update(partner.as_bytes());
        mac.update(&[0x1f]);
        for (i, word) in value.split_whitespace().enumerate() {
            if i > 0 {
                mac.update(b" ");
            }
            mac.update(word.as_bytes());
        }
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// A fingerprint of the key that reveals nothing about it: a run whose key
    /// changed must not reuse tokens made with the old one.
    pub fn fingerprint(&self) -> String {
        self.token("key-fingerprint", "")
    }

    /// A keyed hash of a whole raw row, for lineage and exact-duplicate checks.
    pub fn row_hash<'a>(&self, cells: impl Iterator<Item = &'a str>) -> [u8; 16] {
        let mut mac = self.mac.clone();
        mac.update(b"row\x1f");
        for c in cells {
            mac.update(c.as_bytes());
            mac.update(&[0x1f]);
        }
        let out = mac.finalize().into_bytes();
        let mut h = [0u8; 16];
        h.copy_from_slice(&out[..16]);
        h
    }
}

/// A new random key, hex (see [`crate::restricted::write_new_key`]).
pub fn new_key_hex() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    hex::encode(key)
}

#[cfg(unix)]
fn check_owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(Error::io(path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::Key(format!(
            "{} is readable by others: run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_: &Path) -> Result<()> {
    Ok(())
}

/// Normalise an identifier (a national or voter id, a ration card number,
/// an email) before tokenising and comparing: letters and digits only,
/// upper case, digits in ASCII, so `WB/12 345-6` and `wb123456` meet.
pub fn normalise_identifier(raw: &str) -> String {
    tafteesh_parsers::digits::to_ascii_digits(raw)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Normalise a name before tokenising: fold case, drop honorifics and
/// relation markers, collapse spaces. Linkage (issue #4) compares richer
/// forms in memory; the token only has to be stable.
pub fn normalise_name(raw: &str) -> String {
    const DROP: [&str; 12] = [
        "smt", "sri", "shri", "mst", "mrs", "ms", "kumari", "km", "d/o", "w/o", "s/o", "c/o",
    ];
    raw.split_whitespace()
        .map(|w| w.to_lowercase())
        .filter(|w| {
            let bare = w.trim_end_matches('.');
            !DROP.contains(&bare) && !DROP.contains(&w.as_str())
        })
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ',').to_string())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalise an address part: fold case and space.
pub fn normalise_place(raw: &str) -> String {
    crate::config::reference::place_key(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_keyed_kinded_and_stable() {
        let a = Pseudonymizer::from_bytes(&[1u8; 32]).unwrap();
        let b = Pseudonymizer::from_bytes(&[2u8; 32]).unwrap();
        assert_eq!(a.token("name", "rahima khatun"), a.token("name", "rahima khatun"));
        assert_ne!(a.token("name", "rahima khatun"), b.token("name", "rahima khatun"));
        assert_ne!(a.token("name", "x"), a.token("village", "x"));
        assert_eq!(a.token("name", "x").len(), 32);
    }

    #[test]
    fn references_are_pseudonymised_within_their_partner() {
        let a = Pseudonymizer::from_bytes(&[1u8; 32]).unwrap();
        assert_eq!(a.reference("ngo", "9999933304"), a.reference("ngo", "9999933304"));
        assert_eq!(
            a.reference("ngo", "BKR  12 "),
            a.reference("ngo", "BKR 12"),
            "spaces folded"
        );
        assert_ne!(a.reference("ngo", "9999933304"), a.reference("other", "9999933304"));
        let r = a.reference("ngo", "9999933304");
        assert_eq!(r.len(), 16);
        assert!(!r.contains("99999"));
    }

    #[test]
    fn short_keys_are_refused_and_debug_hides_the_key() {
        assert!(Pseudonymizer::from_bytes(&[1u8; 8]).is_err());
        let p = Pseudonymizer::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(format!("{p:?}"), "Pseudonymizer(<key hidden>)");
    }

    #[test]
    fn names_lose_honorifics_and_relation_markers() {
        assert_eq!(normalise_name("  Smt.  Rahima   KHATUN "), "rahima khatun");
        assert_eq!(normalise_name("D/o Abdul Sk"), "abdul sk");
    }

    #[cfg(unix)]
    #[test]
    fn loose_key_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        crate::restricted::write_new_key(&path).unwrap();
        assert!(Pseudonymizer::load(Some(&KeySource::File(path.clone()))).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Pseudonymizer::load(Some(&KeySource::File(path)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
