//! The names inbox files are published under. A file's own name may hold a
//! survivor's name or phone; the partner's ingest decides for the files it
//! read (see `ingest::FileNames`), and every published place that names a
//! file (manifest, ledger, run summary) asks here.

use std::collections::BTreeMap;

use super::ledger::LedgerInput;
use super::manifest::InputFile;
use crate::privacy::Pseudonymizer;

/// The names inbox files are published under (in the manifest, the ledger,
/// the run summary): the partner's choice for a file it read (see
/// `ingest::FileNames`), else the file's own name unless it holds a number
/// shaped like a mobile phone, which becomes `file-<keyed hash>`.
pub struct PublishedNames<'a> {
    renamed: BTreeMap<String, String>,
    pseudo: &'a Pseudonymizer,
}

impl<'a> PublishedNames<'a> {
    pub fn new(renamed: BTreeMap<String, String>, pseudo: &'a Pseudonymizer) -> Self {
        PublishedNames { renamed, pseudo }
    }

    pub fn of(&self, file: &str) -> String {
        if let Some(name) = self.renamed.get(file) {
            return name.clone();
        }
        if crate::privacy::IdentifierWords::default().in_file_name(file) {
            return format!("file-{}", &self.pseudo.token("file-name", file)[..12]);
        }
        file.to_string()
    }

    pub fn inputs(&self, inputs: &[InputFile]) -> Vec<LedgerInput> {
        inputs
            .iter()
            .map(|i| LedgerInput {
                path: self.of(&i.path),
                partner_id: i.partner_id.clone(),
                bytes: i.bytes,
                modified: i.modified,
                sha256: i.sha256.clone(),
            })
            .collect()
    }
}
