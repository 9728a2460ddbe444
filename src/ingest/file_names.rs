//! The names a partner's files are published under. A file's own name may
//! hold a survivor's name or phone (`Rahima Khatun register.csv`); it is
//! decided right after the file is read, before anything names it, and the
//! real name is kept only in the restricted area.

use std::collections::BTreeMap;
use std::path::Path;

use super::Claim;
use crate::config::Plan;
use crate::extract::RawTable;

/// The names a partner's files are published under. A file whose name
/// holds a name or phone found in its own records (`Rahima Khatun
/// register.csv`), or a number shaped like a mobile, is published as
/// `<partner>/file-<n>.<ext>`, `n` its place among the partner's files in
/// path order; the real name stays in the restricted area.
pub struct FileNames {
    partner: String,
    /// Distinct claimed files, in path order.
    files: Vec<String>,
    decided: BTreeMap<String, String>,
}

impl FileNames {
    pub fn new(partner: &str, claims: &[Claim<'_>]) -> Self {
        let mut files: Vec<String> = claims.iter().map(|c| c.file.clone()).collect();
        files.sort();
        files.dedup();
        FileNames {
            partner: partner.to_string(),
            files,
            decided: BTreeMap::new(),
        }
    }

    /// The published name of `file`, decided once (a workbook read for two
    /// sources keeps the name its first read gave it).
    pub fn published(&mut self, file: &str, ids: &crate::privacy::IdentifierWords) -> String {
        if let Some(name) = self.decided.get(file) {
            return name.clone();
        }
        let name = if ids.in_file_name(file) {
            let n = self.files.iter().position(|f| f == file).unwrap_or(0) + 1;
            let ext = Path::new(file)
                .extension()
                .and_then(|e| e.to_str())
                .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
                .map(|e| format!(".{}", e.to_ascii_lowercase()))
                .unwrap_or_default();
            format!("{}/file-{n}{ext}", self.partner)
        } else {
            file.to_string()
        };
        self.decided.insert(file.to_string(), name.clone());
        name
    }

    /// The renamed files: real name -> published name.
    pub fn renamed(&self) -> impl Iterator<Item = (&String, &String)> {
        self.decided.iter().filter(|(r, p)| r != p)
    }
}

/// The names and phones of an export's records, for [`FileNames`].
pub fn identifier_words(raw: &RawTable, claim: &Claim<'_>, plan: &Plan) -> crate::privacy::IdentifierWords {
    use crate::config::schema::{ColumnType, Privacy};
    let mut ids = crate::privacy::IdentifierWords::default();
    for config in [&claim.pipeline.partner_id, &claim.pipeline.name, &claim.source.files] {
        ids.add_config_words(config);
    }
    for (table, feed) in &claim.source.tables {
        for spec in plan.model.schema(table).columns.iter() {
            if spec.privacy != Privacy::Direct || spec.ty == ColumnType::Address {
                continue;
            }
            let Some(i) = feed.columns.get(&spec.name).and_then(|h| raw.column_index(h)) else {
                continue;
            };
            let mut seen: foldhash::HashSet<&str> = Default::default();
            for v in raw.columns[i]
                .iter()
                .filter(|v| !v.is_empty() && seen.insert(v.as_str()))
            {
                match spec.ty {
                    ColumnType::Phone => ids.add_phone(v),
                    _ => ids.add_name(v),
                }
            }
        }
    }
    ids
}
