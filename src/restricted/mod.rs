//! The restricted area: the only module that writes plaintext. Raw rows
//! as read (`staged/<partner>/`), rejected rows with their reasons
//! (`quarantine/<partner>/`), the identifiers linkage compares
//! (`linkage/<partner>/`), the real names behind the inbox entries'
//! aliases (`file_names.csv`), the spellings the reference lists lack, and
//! each partner's data-quality pack (`packs/`, see [`packs`]). Every CSV
//! here is written through [`SheetCsv`], which neutralises formulas. Every folder is owner-only (0700) and,
//! before a run publishes, every file in it 0600 ([`restrict_tree`]).
//!
//! Each partner writes only below its own folders, so an unchanged
//! partner's can be carried to the next run as they are. Where the area
//! lives under `output/` is [`crate::layout`]'s to say.

pub mod packs;
mod quarantine;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::extract::RawTable;
use crate::lake::write_parquet;
use crate::layout::RestrictedDir;
pub use quarantine::QuarantineRows;

/// Create (if needed) a folder readable by the owner only, and return it.
pub fn restricted_dir(path: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(path).map_err(Error::io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(Error::io(path))?;
    }
    Ok(path.to_path_buf())
}

/// Make every file below a restricted folder owner-only (0600) and every
/// folder 0700. Files are written there by polars, csv and DuckDB with the
/// process umask (usually 0644); the folders' 0700 guards them today, but a
/// file copied or linked out, or a folder's mode widened by hand, must not
/// carry readable plaintext with it.
pub fn restrict_tree(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for e in std::fs::read_dir(dir).map_err(Error::io(dir))? {
            let e = e.map_err(Error::io(dir))?;
            let path = e.path();
            let kind = e.file_type().map_err(Error::io(&path))?;
            if kind.is_dir() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).map_err(Error::io(&path))?;
                restrict_tree(&path)?;
            } else if kind.is_file() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(Error::io(&path))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Write a file readable by the owner only.
pub fn write_owner_only(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(Error::io(path))?;
    f.write_all(bytes).map_err(Error::io(path))
}

/// Write a new random pseudonymisation key, hex, to `path`, owner-only,
/// in an owner-only folder.
pub fn write_new_key(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        restricted_dir(parent)?;
    }
    write_owner_only(path, crate::privacy::new_key_hex().as_bytes())
}

/// One partner's folders in a restricted area being built.
pub struct PartnerArea {
    staged: PathBuf,
    quarantine: PathBuf,
    area: RestrictedDir,
    partner: String,
}

impl PartnerArea {
    /// Create the partner's staging and quarantine folders in `area`.
    pub fn create(area: &RestrictedDir, partner: &str) -> Result<PartnerArea> {
        restricted_dir(&area.staged())?;
        let staged = restricted_dir(&area.staged_dir(partner))?;
        restricted_dir(&area.quarantine())?;
        let quarantine = restricted_dir(&area.quarantine_dir(partner))?;
        Ok(PartnerArea {
            staged,
            quarantine,
            area: area.clone(),
            partner: partner.to_string(),
        })
    }

    /// The partner's quarantine folder.
    pub fn quarantine(&self) -> &Path {
        &self.quarantine
    }

    /// Write one file's raw rows, with lineage, to the staging area, named
    /// by the file's alias (`file`).
    pub fn stage_raw(&self, raw: &RawTable, hashes: &[[u8; 16]], source_index: usize, file: &str) -> Result<()> {
        let dir = restricted_dir(&self.staged)?;
        let mut cols: Vec<Column> = raw
            .headers
            .iter()
            .zip(&raw.columns)
            .map(|(h, v)| Column::new(h.as_str().into(), v.as_slice()))
            .collect();
        cols.push(Column::new("_source_row".into(), raw.rows.as_slice()));
        cols.push(Column::new(
            "_record_hash".into(),
            hashes.iter().map(hex::encode).collect::<Vec<_>>(),
        ));
        let mut df = DataFrame::new_infer_height(cols).map_err(Error::frame("staging rows"))?;
        write_parquet(&mut df, &crate::layout::staged_file(&dir, source_index, file))
    }

    /// Write the place spellings the gazetteer lacks, beside the quarantine:
    /// (real file name, table, field, as written, records).
    pub fn write_unknown_places(&self, written: &[[String; 5]]) -> Result<()> {
        if written.is_empty() {
            return Ok(());
        }
        let mut w = SheetCsv::create(&crate::layout::unknown_places(&self.quarantine))?;
        w.row(["source_file", "table_name", "field", "written", "records"])?;
        for row in written {
            w.row(row)?;
        }
        w.finish()
    }

    /// Write the plaintext identifiers linkage compares, one file per table.
    pub fn write_linkage(&self, tables: BTreeMap<String, DataFrame>) -> Result<()> {
        restricted_dir(&self.area.linkage())?;
        restricted_dir(&self.area.linkage_dir(&self.partner))?;
        use rayon::prelude::*;
        tables
            .into_par_iter()
            .map(|(table, mut df)| write_parquet(&mut df, &self.area.linkage_file(&self.partner, &table)))
            .collect()
    }
}

/// Where the trained linkage model is saved in `area`, or the explained one
/// `link` writes, its folder made owner-only.
pub fn linkage_model(area: &RestrictedDir, explained: bool) -> Result<PathBuf> {
    restricted_dir(&area.linkage())?;
    Ok(area.linkage_model(explained))
}

/// The real name of every inbox entry behind its alias, for the data
/// officer (see [`crate::aliases`]): `file_names.csv` at the root of the
/// restricted area being built.
pub fn write_file_names(area: &RestrictedDir, aliases: &crate::aliases::FileAliases) -> Result<()> {
    let mut w = SheetCsv::create(&area.file_names())?;
    w.row(["published_as", "partner_id", "status", "file"])?;
    for (real, a) in aliases.entries() {
        w.row([a.published.as_str(), a.owner.as_str(), a.status.as_str(), real.as_str()])?;
    }
    w.finish()
}

/// Published name -> real name of every inbox entry the run that wrote
/// `area` listed (empty when it has no `file_names.csv`).
pub fn real_file_names(area: &RestrictedDir) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(mut r) = csv::Reader::from_path(area.file_names()) else {
        return out;
    };
    for rec in r.records().flatten() {
        if let (Some(published), Some(real)) = (rec.get(0), rec.get(3)) {
            out.insert(published.to_string(), real.to_string());
        }
    }
    out
}

/// A CSV the data officer opens in a spreadsheet: owner-only, and every
/// cell that a spreadsheet would read as a formula (`=HYPERLINK(...)`,
/// `-2+3+cmd|...`, `@SUM`) written with a leading `'`, as the published
/// reports write theirs ([`crate::report::neutralise`]). A partner's cell,
/// file name or header is text here, never something Excel runs.
pub struct SheetCsv {
    path: PathBuf,
    w: csv::Writer<std::fs::File>,
}

impl SheetCsv {
    pub fn create(path: &Path) -> Result<SheetCsv> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let f = opts.open(path).map_err(Error::io(path))?;
        Ok(SheetCsv {
            path: path.to_path_buf(),
            w: csv::Writer::from_writer(f),
        })
    }

    pub fn row<I, T>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| crate::report::neutralise(c.as_ref()).into_owned())
            .collect();
        let path = &self.path;
        self.w
            .write_record(&cells)
            .map_err(|e| Error::io(path.clone())(e.into()))
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(Error::io(&self.path))
    }
}
