//! A study's extract specification (`extracts/<study>.toml`), read and
//! checked once, before any data is read: every problem is listed with the
//! spec's path, as for any other config file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One study's extract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The study's short name: names the extract's folder.
    pub study: String,
    /// What the study is, for the codebook.
    #[serde(default)]
    pub title: String,
    /// Seeds the study ids: the same snapshot, spec and seed give the same
    /// extract, byte for byte.
    pub seed: u64,
    /// Every combination of quasi-identifiers released is shared by at
    /// least `k` records (CTDC publishes at 10).
    #[serde(default = "default_k")]
    pub k: u32,
    /// At most this share of a table's records may be suppressed to reach
    /// `k` (and `l`); the least generalisation that stays within it wins.
    #[serde(default = "default_max_suppressed")]
    pub max_suppressed_share: f64,
    /// A record's prosecutor risk (one over the records sharing its
    /// quasi-identifiers) above this counts it "at risk" in the summary.
    #[serde(default = "default_risk_threshold")]
    pub risk_threshold: f64,
    /// The most nodes (one level per quasi-identifier) a table's
    /// generalisation lattice may have: each is one pass over the records,
    /// so a lattice of millions never ends. A spec with more is refused
    /// before any data is read.
    #[serde(default = "default_max_nodes")]
    pub max_nodes: u64,
    /// The most seconds the search for a table's generalisation may take;
    /// past it the extract stops with an error (and writes nothing).
    #[serde(default = "default_max_seconds")]
    pub max_seconds: u64,
    /// Generalisation hierarchies, by the name fields refer to them.
    #[serde(default)]
    pub hierarchies: BTreeMap<String, Hierarchy>,
    /// The tables written, each one row per person or per case.
    pub tables: Vec<TableSpec>,
}

fn default_k() -> u32 {
    10
}

fn default_max_nodes() -> u64 {
    20_000
}

fn default_max_seconds() -> u64 {
    600
}

fn default_max_suppressed() -> f64 {
    0.05
}

fn default_risk_threshold() -> f64 {
    0.05
}

impl Hierarchy {
    /// Its levels, "*" included.
    pub fn height(&self) -> usize {
        match self {
            Hierarchy::Bands { levels } => levels.len() + 1,
            Hierarchy::Dates { levels } => levels.len() + 1,
            Hierarchy::Places { .. } => 3,
            Hierarchy::Categories => 2,
        }
    }
}

/// How a quasi-identifier is generalised, level by level; a last level,
/// "*" (the value withheld), always follows the declared ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Hierarchy {
    /// Numbers in bands: each level lists the bands' lower bounds,
    /// ascending (`[0, 9, 18]` is 0-8, 9-17, 18+); later levels coarser.
    Bands { levels: Vec<Vec<i64>> },
    /// Dates: to `quarter` (FY 2023-24 Q1), then to `financial_year`
    /// (FY 2023-24), or `year` (calendar), in the order listed.
    Dates { levels: Vec<DateLevel> },
    /// Places (a district): the district itself, then its region (the
    /// state or country the shipped gazetteer puts it in; `regions` may
    /// name other groups, such as divisions), then "*".
    Places {
        #[serde(default)]
        regions: BTreeMap<String, String>,
    },
    /// A category kept as it is, then withheld ("*").
    Categories,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateLevel {
    Quarter,
    FinancialYear,
    Year,
}

/// The unit a table has one row of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A person, as linkage found her (the warehouse's `dim_people`).
    Person,
    /// A case, as linkage found it (`dim_cases`, with days between its
    /// dates counted).
    Case,
    /// An entitlement application, however many partners recorded it
    /// (`dim_entitlements`): its outcome and delays.
    Entitlement,
    /// A rehabilitation review as a partner recorded it
    /// (`fct_rehabilitation_reviews`: its timeliness; no risk flag, which
    /// the research tier does not hold).
    Review,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The file name (`survivors` writes survivors.parquet and .csv).
    pub name: String,
    pub unit: Unit,
    /// Each sensitive field has at least `l` distinct values among the
    /// records sharing a combination of quasi-identifiers.
    #[serde(default = "default_l")]
    pub l: u32,
    pub fields: Vec<FieldSpec>,
}

fn default_l() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The warehouse column.
    pub column: String,
    /// The column's name in the extract (default: the same).
    #[serde(default, rename = "as")]
    pub rename: Option<String>,
    /// A quasi-identifier, generalised by this hierarchy.
    #[serde(default)]
    pub quasi: Option<String>,
    /// A sensitive field, held to l-diversity.
    #[serde(default)]
    pub sensitive: bool,
    /// For a quasi-identifier: how much the study loses when it is
    /// generalised, against the others (default 1). The least costly
    /// generalisation wins, so a field weighted 3 is coarsened last.
    #[serde(default = "default_weight")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

impl FieldSpec {
    /// The column's name in the extract.
    pub fn output_name(&self) -> &str {
        self.rename.as_deref().unwrap_or(&self.column)
    }
}

/// Columns an extract never carries, whatever the spec says: warehouse
/// keys and tokens (an extract's ids are its own), record pointers, and
/// places finer than a district.
pub fn refused(column: &str) -> Option<&'static str> {
    let c = column.to_ascii_lowercase();
    if ["_key", "_token", "_ref", "_record_id", "_hash"]
        .iter()
        .any(|s| c.ends_with(s))
        || [
            "source_file",
            "source_file_order",
            "source_row",
            "fir_number",
            "partner_ids",
        ]
        .contains(&c.as_str())
    {
        Some("a key, token or record pointer: an extract carries its own study ids only")
    } else if ["village", "block", "police_station", "address", "panchayat"]
        .iter()
        .any(|s| c.contains(s))
    {
        Some("a place finer than a district")
    } else if c == "date_of_birth" {
        Some("a date of birth: give the age at rescue in bands instead")
    } else {
        None
    }
}

impl Spec {
    /// Find, read and check a spec; every problem is listed with the
    /// file's path. A relative path is tried from the working folder, then
    /// beside tafteesh.toml (`config_dir`); a spec shipped with tafteesh
    /// (`schemas/extracts/`) is found by its file name when neither holds
    /// it. Returns the spec, where it was read from, and its bytes.
    pub fn find(given: &Path, config_dir: &Path) -> Result<(Spec, PathBuf, Vec<u8>)> {
        let beside = config_dir.join(given);
        let path = if given.exists() || given.is_absolute() {
            given.to_path_buf()
        } else if beside.exists() {
            beside
        } else {
            let name = given
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = if name.ends_with(".toml") {
                name
            } else {
                format!("{name}.toml")
            };
            if let Some(f) = crate::config::SCHEMAS_DIR.get_file(format!("extracts/{name}")) {
                let path = PathBuf::from(format!("schemas/extracts/{name}"));
                return Ok((Self::parse(f.contents(), &path)?, path, f.contents().to_vec()));
            }
            given.to_path_buf()
        };
        let bytes = std::fs::read(&path).map_err(|e| Error::Config {
            path: path.clone(),
            problems: vec![format!("cannot be read: {e}")],
        })?;
        Ok((Self::parse(&bytes, &path)?, path, bytes))
    }

    fn parse(bytes: &[u8], path: &Path) -> Result<Spec> {
        let config = |problems: Vec<String>| Error::Config {
            path: path.to_path_buf(),
            problems,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| config(vec!["is not UTF-8 text".into()]))?;
        let spec: Spec = toml::from_str(text).map_err(|e| config(vec![e.message().to_string()]))?;
        let problems = spec.problems();
        if !problems.is_empty() {
            return Err(config(problems));
        }
        Ok(spec)
    }

    /// What is wrong with the spec, before any data is read (the columns'
    /// existence and types are checked against the warehouse later).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.study.is_empty()
            || !self
                .study
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            p.push("`study` must be letters, digits, `_` or `-` (it names a folder)".into());
        }
        if self.k < 2 {
            p.push("`k` must be 2 or more".into());
        }
        if !(0.0..=1.0).contains(&self.max_suppressed_share) {
            p.push("`max_suppressed_share` must be between 0 and 1".into());
        }
        if self.max_nodes == 0 || self.max_seconds == 0 {
            p.push("`max_nodes` and `max_seconds` must be 1 or more".into());
        }
        if !(self.risk_threshold > 0.0 && self.risk_threshold <= 1.0) {
            p.push("`risk_threshold` must be above 0 and at most 1".into());
        }
        for (name, h) in &self.hierarchies {
            match h {
                Hierarchy::Bands { levels } => {
                    if levels.is_empty() {
                        p.push(format!("hierarchy `{name}`: `levels` is empty"));
                    }
                    for (i, l) in levels.iter().enumerate() {
                        if l.is_empty() || l.windows(2).any(|w| w[0] >= w[1]) {
                            p.push(format!(
                                "hierarchy `{name}`: level {} must list lower bounds, ascending",
                                i + 1
                            ));
                        }
                    }
                }
                Hierarchy::Dates { levels } if levels.is_empty() => {
                    p.push(format!("hierarchy `{name}`: `levels` is empty"));
                }
                _ => {}
            }
        }
        if self.tables.is_empty() {
            p.push("no `tables`".into());
        }
        let mut names = std::collections::HashSet::new();
        for t in &self.tables {
            if !names.insert(t.name.as_str()) {
                p.push(format!("table `{}` twice", t.name));
            }
            if t.name.is_empty() || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                p.push(format!("table `{}`: its name must be letters, digits or `_`", t.name));
            }
            if t.l < 1 {
                p.push(format!("table `{}`: `l` must be 1 or more", t.name));
            }
            let mut out = std::collections::HashSet::new();
            for f in &t.fields {
                let at = format!("table `{}`, field `{}`", t.name, f.column);
                if let Some(why) = refused(&f.column) {
                    p.push(format!("{at}: refused, {why}"));
                }
                if !out.insert(f.output_name()) {
                    p.push(format!("{at}: `{}` twice in the table", f.output_name()));
                }
                let (id, _) = t.unit.study_id();
                if f.output_name() == id {
                    p.push(format!(
                        "{at}: `{id}` is the extract's own id column; name the field otherwise (`as = \"...\"`)"
                    ));
                }
                if let Some(h) = &f.quasi
                    && !self.hierarchies.contains_key(h)
                {
                    p.push(format!("{at}: no hierarchy `{h}`"));
                }
                if !(f.weight > 0.0 && f.weight.is_finite()) {
                    p.push(format!("{at}: `weight` must be above 0"));
                }
                if f.quasi.is_none() && f.weight != 1.0 {
                    p.push(format!("{at}: `weight` applies to a quasi-identifier only"));
                }
                if f.quasi.is_some() && f.sensitive {
                    p.push(format!("{at}: a field is a quasi-identifier or sensitive, not both"));
                }
            }
            let nodes = t
                .fields
                .iter()
                .filter_map(|f| self.hierarchies.get(f.quasi.as_ref()?))
                .fold(1u64, |n, h| n.saturating_mul(h.height() as u64));
            if nodes > self.max_nodes {
                p.push(format!(
                    "table `{}`: its generalisation lattice has {nodes} nodes (each quasi-identifier's levels multiplied), \
                     more than `max_nodes` ({}), and each is a pass over the records: use fewer quasi-identifiers or levels, \
                     or raise `max_nodes`",
                    t.name, self.max_nodes
                ));
            }
            if !t.fields.iter().any(|f| f.quasi.is_some()) {
                p.push(format!(
                    "table `{}`: no quasi-identifier (`quasi = \"<hierarchy>\"`), so k-anonymity would say nothing",
                    t.name
                ));
            }
            if t.l > 1 && !t.fields.iter().any(|f| f.sensitive) {
                p.push(format!(
                    "table `{}`: `l` is {} but no field is `sensitive`",
                    t.name, t.l
                ));
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Spec, Vec<String>> {
        let s: Spec = toml::from_str(text).map_err(|e| vec![e.message().to_string()])?;
        let p = s.problems();
        if p.is_empty() { Ok(s) } else { Err(p) }
    }

    #[test]
    fn the_shipped_spec_is_valid() {
        let text = crate::config::SCHEMAS_DIR
            .get_file("extracts/ahtu_engagement.toml")
            .and_then(|f| f.contents_utf8())
            .unwrap();
        let s = spec(text).unwrap();
        assert_eq!(s.k, 10);
        assert!(s.tables.iter().any(|t| t.unit == Unit::Case && t.l >= 2));
    }

    #[test]
    fn identifiers_fine_places_and_unknown_hierarchies_are_refused() {
        let e = spec(
            r#"
            study = "s"
            seed = 1
            [hierarchies.age]
            kind = "bands"
            levels = [[0, 18, 9]]
            [[tables]]
            name = "people"
            unit = "person"
            l = 2
            fields = [
                { column = "person_key" },
                { column = "home_block" },
                { column = "date_of_birth", quasi = "age" },
                { column = "home_district", quasi = "place" },
            ]
            "#,
        )
        .unwrap_err()
        .join("\n");
        for want in [
            "level 1 must list lower bounds",
            "`person_key`: refused, a key",
            "`home_block`: refused, a place finer",
            "`date_of_birth`: refused",
            "no hierarchy `place`",
            "`l` is 2 but no field is `sensitive`",
        ] {
            assert!(e.contains(want), "{want} in:\n{e}");
        }
        assert!(
            spec("study = \"s\"\nseed = 1\ntables = []\nextra = 1").is_err(),
            "unknown keys"
        );
    }
}
