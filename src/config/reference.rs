//! Reference data: the gazetteer of places and the acts and sections that
//! mark a trafficking case. Loaded from `schemas/reference/`, turned into
//! lookup tables keyed by a normalised spelling.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    #[serde(default)]
    pub district: Option<String>,
    pub variants: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesFile {
    pub district: Vec<Place>,
    pub police_district: Vec<Place>,
    pub ahtu_unit: Vec<Place>,
    pub state: Vec<Place>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionGroup {
    pub act: String,
    pub sections: Vec<String>,
    pub trafficking: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionsFile {
    pub acts: BTreeMap<String, Vec<String>>,
    pub section: Vec<SectionGroup>,
    pub equivalent: BTreeMap<String, String>,
}

/// One kind of place, with its spellings resolved to canonical names.
#[derive(Debug, Default)]
pub struct Gazetteer {
    by_key: HashMap<String, String>,
    pub names: Vec<String>,
}

impl Gazetteer {
    fn build(places: &[Place], problems: &mut Vec<String>, kind: &str) -> Self {
        let mut g = Gazetteer::default();
        for p in places {
            g.names.push(p.name.clone());
            for v in p.variants.iter().chain(std::iter::once(&p.name)) {
                let key = place_key(v);
                if let Some(prev) = g.by_key.insert(key, p.name.clone())
                    && prev != p.name
                {
                    problems.push(format!("{kind} spelling `{v}` names both `{prev}` and `{}`", p.name));
                }
            }
        }
        g
    }

    /// The canonical name for a written spelling, if known.
    pub fn lookup(&self, written: &str) -> Option<&str> {
        self.by_key.get(&place_key(written)).map(String::as_str)
    }
}

pub use tafteesh_parsers::text::place_key;

/// All reference data, resolved.
#[derive(Debug)]
pub struct Reference {
    pub districts: Gazetteer,
    pub police_districts: Gazetteer,
    pub ahtu_units: Gazetteer,
    pub states: Gazetteer,
    /// The acts, their aliases and the sections that mark trafficking.
    pub acts: tafteesh_parsers::sections::ActTable,
}

impl Reference {
    pub fn build(places: &PlacesFile, sections: &SectionsFile) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let districts = Gazetteer::build(&places.district, &mut problems, "district");
        for pd in &places.police_district {
            match &pd.district {
                Some(d) if districts.lookup(d).is_none() => problems.push(format!(
                    "police district `{}` sits in `{d}`, which is not a district",
                    pd.name
                )),
                None => problems.push(format!("police district `{}` names no district", pd.name)),
                _ => {}
            }
        }
        let police_districts = Gazetteer::build(&places.police_district, &mut problems, "police district");
        let ahtu_units = Gazetteer::build(&places.ahtu_unit, &mut problems, "AHTU");
        let states = Gazetteer::build(&places.state, &mut problems, "state");
        let mut act_aliases: Vec<(String, String)> = sections
            .acts
            .iter()
            .flat_map(|(act, aliases)| {
                aliases
                    .iter()
                    .chain(std::iter::once(act))
                    .map(move |a| (place_key(a), act.clone()))
            })
            .collect();
        // Longest alias first, so "pocso act" wins over "pocso".
        act_aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        act_aliases.dedup();
        let mut trafficking = std::collections::HashSet::new();
        for g in &sections.section {
            if !sections.acts.contains_key(&g.act) {
                problems.push(format!("sections listed for unknown act `{}`", g.act));
            }
            if g.trafficking {
                for s in &g.sections {
                    trafficking.insert((g.act.clone(), s.to_uppercase()));
                }
            }
        }
        let bns_to_ipc = sections
            .equivalent
            .iter()
            .map(|(b, i)| (b.to_uppercase(), i.to_uppercase()))
            .collect();
        (
            Reference {
                districts,
                police_districts,
                ahtu_units,
                states,
                acts: tafteesh_parsers::sections::ActTable {
                    act_aliases,
                    trafficking,
                    bns_to_ipc,
                },
            },
            problems,
        )
    }
}
