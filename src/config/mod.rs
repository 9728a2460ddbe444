//! Configuration in two stages: what the operator wrote (`tafteesh.toml` and
//! the partner pipelines), then one resolved, validated [`Plan`] that the rest
//! of the program receives. No other module reads config files or the
//! environment.
//!
//! The canonical model (schemas, reference data, SQL) is compiled into the
//! binary from `schemas/` and `sql/`, so a deployed binary and its indicator
//! definitions cannot drift apart. Partner pipelines live beside the
//! operator's config, because adding a partner must never need a rebuild.

/// The linkage settings are the engine's own (see `tafteesh_linkage::settings`).
pub use tafteesh_linkage::settings as linkage;
pub mod access;
pub mod pipeline;
pub mod reference;
pub mod schema;
pub mod template;

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::error::{Error, Result};
use pipeline::Pipeline;
use reference::{KnownFile, PlacesFile, Reference, RegionsFile, SectionsFile};
use schema::TableSchema;

/// `schemas/` as compiled in.
pub static SCHEMAS_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
/// `sql/` as compiled in.
pub static SQL_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/sql");
/// `pipelines/` as compiled in: the demo partners' configs.
pub static DEMO_PIPELINES_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/pipelines");

/// The file name looked for when `--config` names a folder.
pub const CONFIG_FILE: &str = "tafteesh.toml";

/// `tafteesh.toml` as written. Paths are relative to the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Folder partners drop their exports into.
    pub inbox: PathBuf,
    /// Folder the job writes the lake, warehouse, reports and restricted area to.
    pub output: PathBuf,
    /// Folder of partner pipeline configs.
    #[serde(default = "default_pipelines")]
    pub pipelines: PathBuf,
    /// File holding the pseudonymisation key (hex). `TAFTEESH_KEY` wins over it.
    pub key_file: Option<PathBuf>,
    /// Which published snapshots to keep.
    #[serde(default)]
    pub retention: Retention,
    /// When a partner's export counts as stale in `tafteesh status`.
    #[serde(default)]
    pub freshness: Freshness,
    /// Small-cell suppression of everything the reports publish.
    #[serde(default)]
    pub suppression: Suppression,
    /// When a run holds its snapshot back instead of publishing it.
    #[serde(default)]
    pub publish: Publish,
    /// How the reports read.
    #[serde(default)]
    pub report: ReportOptions,
    /// How large an input file may be.
    #[serde(default)]
    pub limits: Limits,
    /// Who may read the reports and the research tier (see [`access`]).
    #[serde(default)]
    pub access: access::AccessFile,
}

/// How the reports read. `bengali_digits`: the Bengali dashboard
/// (`index.bn.html`) writes its figures in Bengali digits (০-৯) rather
/// than the Western digits Bengali text usually carries in print today.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportOptions {
    #[serde(default)]
    pub bengali_digits: bool,
}

/// A run that would publish markedly less than the current snapshot holds
/// its snapshot back (exit 7) and the current one stays: an inbox share that
/// did not mount, a partner's export cut short or filtered by mistake. A
/// partner's kept rows of any table falling by more than `max_shrink` (a
/// share, from its current snapshot, where that had at least 10 rows), a
/// partner whose rows all vanish, or a file that ends mid-row, holds it.
/// `tafteesh run --accept-shrink` publishes anyway.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    #[serde(default = "default_max_shrink")]
    pub max_shrink: f64,
}

impl Default for Publish {
    fn default() -> Self {
        Publish {
            max_shrink: default_max_shrink(),
        }
    }
}

fn default_max_shrink() -> f64 {
    0.5
}

/// An inbox file larger than `max_file_mib` is refused unread (exit 4, its
/// `NOT USED` line saying why): a file is read whole before it is parsed,
/// and a 2 GiB file once was, only to be refused. A workbook sheet of more
/// than `max_sheet_cells` is refused before its cells are held. The
/// defaults keep one file's reading within about half a GiB; a consortium
/// with larger exports raises them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_max_file_mib")]
    pub max_file_mib: u64,
    /// The most cells a workbook sheet is read into (rows by headed
    /// columns, an ODS's repeats counted before they are expanded).
    #[serde(default = "default_max_sheet_cells")]
    pub max_sheet_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_mib: default_max_file_mib(),
            max_sheet_cells: default_max_sheet_cells(),
        }
    }
}

fn default_max_sheet_cells() -> usize {
    tafteesh_readers::MAX_CELLS
}

impl Limits {
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_mib.saturating_mul(1 << 20)
    }
}

fn default_max_file_mib() -> u64 {
    tafteesh_readers::MAX_FILE_BYTES >> 20
}

/// Reports show no figure built from 1 to k-1 cases, claims or people
/// (counts read "<k"), and hide a second figure wherever a hidden one could
/// be recovered by subtraction from a total beside it (src/suppress.rs).
/// 5 follows the health registries' practice; 10 the Counter Trafficking
/// Data Collaborative's.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    #[serde(default = "default_k")]
    pub k: u32,
}

impl Default for Suppression {
    fn default() -> Self {
        Suppression { k: default_k() }
    }
}

fn default_k() -> u32 {
    5
}

/// A partner whose newest export is older than `stale_after_days` is
/// flagged by `tafteesh status`: partners export monthly, so the default
/// allows a month and a half.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    #[serde(default = "default_stale_after_days")]
    pub stale_after_days: u32,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            stale_after_days: default_stale_after_days(),
        }
    }
}

fn default_stale_after_days() -> u32 {
    45
}

/// Snapshots kept after each run: the newest `keep_last`, and every one
/// younger than `keep_days`. The current snapshot is never removed.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default = "default_keep_last")]
    pub keep_last: usize,
    #[serde(default = "default_keep_days")]
    pub keep_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_last: default_keep_last(),
            keep_days: default_keep_days(),
        }
    }
}

fn default_keep_last() -> usize {
    10
}

fn default_keep_days() -> u32 {
    30
}

fn default_pipelines() -> PathBuf {
    PathBuf::from("pipelines")
}

/// The canonical model: schemas and reference data.
#[derive(Debug)]
pub struct Model {
    pub schemas: Vec<TableSchema>,
    pub reference: Reference,
}

impl Model {
    /// Load and check the compiled-in model. A failure here is a bug in the
    /// repository's `schemas/`, caught by the unit tests.
    pub fn load() -> Result<Model> {
        let mut schemas = Vec::new();
        for f in SCHEMAS_DIR
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        {
            let path = Path::new("schemas").join(f.path());
            let text = f.contents_utf8().unwrap_or_default();
            let s: TableSchema = toml::from_str(text).map_err(|e| Error::Config {
                path: path.clone(),
                problems: vec![e.to_string()],
            })?;
            let problems = s.problems();
            if !problems.is_empty() {
                return Err(Error::Config { path, problems });
            }
            schemas.push(s);
        }
        schemas.sort_by(|a, b| a.table.cmp(&b.table));
        let places: PlacesFile = parse_embedded("reference/places.toml")?;
        let india: RegionsFile = parse_embedded("reference/india.toml")?;
        let sections: SectionsFile = parse_embedded("reference/sections.toml")?;
        let mut known = KnownFile::default();
        for file in ["blocks", "police_stations", "schemes", "gram_panchayats"] {
            let f: KnownFile = parse_embedded(&format!("reference/{file}.toml"))?;
            known.block.extend(f.block);
            known.police_station.extend(f.police_station);
            known.scheme.extend(f.scheme);
            known.gram_panchayat.extend(f.gram_panchayat);
        }
        let (reference, problems) = Reference::build(&places, &india, &sections, &known);
        if !problems.is_empty() {
            return Err(Error::Config {
                path: "schemas/reference".into(),
                problems,
            });
        }
        Ok(Model { schemas, reference })
    }

    pub fn schema(&self, table: &str) -> &TableSchema {
        self.schemas
            .iter()
            .find(|s| s.table == table)
            .unwrap_or_else(|| panic!("table `{table}` is not in schemas/"))
    }
}

pub(crate) fn parse_embedded<T: serde::de::DeserializeOwned>(rel: &str) -> Result<T> {
    let path = Path::new("schemas").join(rel);
    let text = embedded_text(rel).ok_or_else(|| Error::Config {
        path: path.clone(),
        problems: vec!["missing from the build".into()],
    })?;
    toml::from_str(&text).map_err(|e| Error::Config {
        path,
        problems: vec![e.to_string()],
    })
}

/// A compiled-in file under `schemas/`.
fn embedded_text(rel: &str) -> Option<String> {
    SCHEMAS_DIR
        .get_file(rel)
        .and_then(|f| f.contents_utf8())
        .map(str::to_string)
}

/// The shipped linkage settings: `survivors` (the default) or `generic`.
pub fn default_linkage(base: &str) -> Result<linkage::Settings> {
    let text = format!("defaults = \"{base}\"\n");
    linkage::layered(&text, embedded_text).map_err(|problems| Error::Config {
        path: PathBuf::from("schemas/linkage/settings.toml"),
        problems,
    })
}

/// Where the pseudonymisation key comes from, resolved but not yet read.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Given on the command line or in `TAFTEESH_KEY` (hex).
    Inline(String),
    File(PathBuf),
}

/// Everything a run needs, resolved and validated.
#[derive(Debug)]
pub struct Plan {
    pub config_file: PathBuf,
    pub inbox: PathBuf,
    pub output: PathBuf,
    pub pipelines: Vec<(PathBuf, Pipeline)>,
    pub model: Model,
    pub key: Option<KeySource>,
    pub retention: Retention,
    pub freshness: Freshness,
    pub report: ReportOptions,
    pub suppression: Suppression,
    pub publish: Publish,
    pub limits: Limits,
    /// Who may read each tier of a snapshot.
    pub access: access::Access,
    /// Record-linkage settings: `linkage.toml` beside tafteesh.toml when
    /// there is one, else the compiled-in `schemas/linkage/settings.toml`.
    pub linkage: linkage::Settings,
    /// The operator's `linkage.toml`, when it exists.
    pub linkage_file: Option<PathBuf>,
    /// The operator's `reference.toml`, when it exists.
    pub reference_file: Option<PathBuf>,
}

/// The linkage settings file an operator may put beside tafteesh.toml.
pub const LINKAGE_FILE: &str = "linkage.toml";

/// The file of an installation's own known values (blocks, panchayat-level
/// places its partners meet, police stations, schemes, AHTUs) an operator
/// may put beside tafteesh.toml: what the shipped lists lack, so the
/// values partners write are published rather than `unknown`.
pub const REFERENCE_FILE: &str = "reference.toml";

impl Plan {
    /// Where everything under the output folder lives.
    pub fn layout(&self) -> crate::layout::Layout {
        crate::layout::Layout::new(&self.output)
    }

    /// Resolve `--config` (a file or a folder holding `tafteesh.toml`), load
    /// every pipeline and check it against the model. Every problem of every
    /// file is reported; nothing is read from the inbox.
    pub fn resolve(config: &Path, inline_key: Option<String>) -> Result<Plan> {
        let config_file = if config.is_dir() {
            config.join(CONFIG_FILE)
        } else {
            config.to_path_buf()
        };
        let text = std::fs::read_to_string(&config_file).map_err(|e| Error::Config {
            path: config_file.clone(),
            problems: vec![format!(
                "the configuration cannot be read ({}): `--config` names tafteesh.toml or the folder that holds it",
                match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    _ => e.to_string(),
                }
            )],
        })?;
        let project: ProjectFile = toml::from_str(&text).map_err(|e| Error::Config {
            path: config_file.clone(),
            problems: vec![e.to_string()],
        })?;
        let base = lexical_clean(config_file.parent().unwrap_or(Path::new(".")));
        let mut model = Model::load()?;
        let reference_path = base.join(REFERENCE_FILE);
        let reference_file = reference_path.is_file().then_some(reference_path);
        if let Some(path) = &reference_file {
            let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
            let known: KnownFile = toml::from_str(&text).map_err(|e| Error::Config {
                path: path.clone(),
                problems: vec![e.to_string()],
            })?;
            let problems = model.reference.extend(&known);
            if !problems.is_empty() {
                return Err(Error::Config {
                    path: path.clone(),
                    problems,
                });
            }
        }
        let pipelines_dir = base.join(&project.pipelines);
        let pipelines = load_pipelines(&pipelines_dir, &model)?;
        let key = match (inline_key, &project.key_file) {
            (Some(k), _) => Some(KeySource::Inline(k)),
            (None, Some(f)) => Some(KeySource::File(base.join(f))),
            (None, None) => None,
        };
        if project.retention.keep_last == 0 {
            return Err(Error::Config {
                path: config_file,
                problems: vec!["retention.keep_last must be at least 1".into()],
            });
        }
        if !(2..=100).contains(&project.suppression.k) {
            return Err(Error::Config {
                path: config_file,
                problems: vec![format!(
                    "suppression.k must be from 2 to 100 (it is {}): figures built from fewer cases than k are hidden",
                    project.suppression.k
                )],
            });
        }
        if !(project.publish.max_shrink > 0.0 && project.publish.max_shrink < 1.0) {
            return Err(Error::Config {
                path: config_file,
                problems: vec![format!(
                    "publish.max_shrink must be a share between 0 and 1 (it is {}): a partner's rows falling by more than it hold the snapshot back",
                    project.publish.max_shrink
                )],
            });
        }
        if !(1_000..=1_000_000_000).contains(&project.limits.max_sheet_cells) {
            return Err(Error::Config {
                path: config_file,
                problems: vec![format!(
                    "limits.max_sheet_cells must be from 1000 to 1000000000 (it is {}): a sheet of more cells is refused unread",
                    project.limits.max_sheet_cells
                )],
            });
        }
        if !(1..=1 << 20).contains(&project.limits.max_file_mib) {
            return Err(Error::Config {
                path: config_file,
                problems: vec![format!(
                    "limits.max_file_mib must be from 1 to 1048576 (it is {}): an inbox file larger than it is refused unread",
                    project.limits.max_file_mib
                )],
            });
        }
        let inbox = lexical_clean(&base.join(&project.inbox));
        let output = lexical_clean(&base.join(&project.output));
        let overlap = overlapping(&inbox, &output);
        if !overlap.is_empty() {
            return Err(Error::Config {
                path: config_file,
                problems: overlap,
            });
        }
        let access = project.access.resolve().map_err(|problems| Error::Config {
            path: config_file.clone(),
            problems,
        })?;
        let linkage_path = base.join(LINKAGE_FILE);
        let linkage_file = linkage_path.is_file().then_some(linkage_path);
        let text = match &linkage_file {
            Some(p) => std::fs::read_to_string(p).map_err(Error::io(p))?,
            None => String::new(),
        };
        let linkage = linkage::layered(&text, embedded_text).map_err(|problems| Error::Config {
            path: linkage_file
                .clone()
                .unwrap_or_else(|| PathBuf::from("schemas/linkage/settings.toml")),
            problems,
        })?;
        Ok(Plan {
            linkage,
            linkage_file,
            reference_file,
            retention: project.retention,
            freshness: project.freshness,
            report: project.report,
            suppression: project.suppression,
            publish: project.publish,
            limits: project.limits,
            access,
            inbox,
            output,
            config_file,
            pipelines,
            model,
            key,
        })
    }
}

/// Problems with an inbox and an output that overlap: a run would read its
/// own restricted plaintext and snapshots as partner exports, or write into
/// the partners' folder. Compared as written and, where they exist, with
/// links resolved.
fn overlapping(inbox: &Path, output: &Path) -> Vec<String> {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| lexical_clean(&d.join(p)))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (i, o) = (absolute(inbox), absolute(output));
    if i == o {
        vec!["`inbox` and `output` are the same folder; give each its own".into()]
    } else if i.starts_with(&o) {
        vec!["`inbox` is inside `output`: the run would read its own snapshots; put the inbox elsewhere".into()]
    } else if o.starts_with(&i) {
        vec!["`output` is inside `inbox`: the run would read its own snapshots and restricted plaintext as exports; put the output elsewhere".into()]
    } else {
        Vec::new()
    }
}

/// `a/b/../c` as `a/c`, without touching the file system (the path may not exist yet).
pub fn lexical_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Load every `*.toml` in `dir` as a pipeline. Problems of all files are
/// gathered; the first file with problems is the error, listing them all,
/// and the others are named in it too.
pub fn load_pipelines(dir: &Path, model: &Model) -> Result<Vec<(PathBuf, Pipeline)>> {
    let entries = std::fs::read_dir(dir).map_err(Error::io(dir))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Config {
            path: dir.to_path_buf(),
            problems: vec!["no pipeline configs (*.toml)".into()],
        });
    }
    let mut out = Vec::new();
    let mut bad: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(Error::io(&f))?;
        match Pipeline::parse(&text) {
            Err(e) => bad.push((f, vec![e])),
            Ok((p, mut problems)) => {
                problems.extend(p.problems(&model.schemas, &f));
                if problems.is_empty() {
                    out.push((f, p));
                } else {
                    bad.push((f, problems));
                }
            }
        }
    }
    let mut ids = std::collections::HashMap::new();
    for (f, p) in &out {
        if let Some(prev) = ids.insert(p.partner_id.clone(), f.clone()) {
            bad.push((
                f.clone(),
                vec![format!(
                    "partner_id `{}` is also used by {}",
                    p.partner_id,
                    prev.display()
                )],
            ));
        }
    }
    match bad.len() {
        0 => Ok(out),
        1 => {
            let (path, problems) = bad.remove(0);
            Err(Error::Config { path, problems })
        }
        _ => {
            let path = dir.to_path_buf();
            let problems = bad
                .into_iter()
                .flat_map(|(f, ps)| {
                    let name = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    ps.into_iter().map(move |p| format!("{name}: {p}"))
                })
                .collect();
            Err(Error::Config { path, problems })
        }
    }
}

#[cfg(test)]
mod tests;
