//! Reference data: the gazetteer of places, the lists of known blocks,
//! police stations and compensation schemes, and the acts and sections that
//! mark a trafficking case. Loaded from `schemas/reference/` (and, for the
//! known values, an installation's own `reference.toml`), turned into
//! lookup tables keyed by a normalised spelling.
//!
//! These lists are what may be published of a place or scheme a partner
//! typed: a cell the list knows is published as the list's name, anything
//! else (a name typed into the Block column, a phone into Police Station)
//! as `unknown`. They are an allow-list, not a detector of personal values.
//!
//! Districts come from two files: West Bengal's (`places.toml`, with police
//! districts, AHTUs and Bengali spellings) and India's other states and the
//! neighbouring countries (`india.toml`). Survivors come from Jharkhand,
//! Bihar, Assam, Bangladesh and Nepal as well as West Bengal, so a district
//! outside the state is a place, not an error. West Bengal's spellings win
//! any clash; a name two other regions share stays recognised without a
//! region ("Aurangabad") and gains it when the cell names the region
//! ("Aurangabad, Bihar" -> "Aurangabad (Bihar)").

use std::collections::{BTreeMap, HashMap, HashSet};

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

/// A state, union territory or neighbouring country and its districts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub name: String,
    pub kind: RegionKind,
    pub variants: Vec<String>,
    pub districts: Vec<Spellings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    State,
    UnionTerritory,
    Country,
}

impl RegionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::State => "state",
            RegionKind::UnionTerritory => "union_territory",
            RegionKind::Country => "country",
        }
    }
}

impl Reference {
    /// Add an installation's own known values (its `reference.toml`): the
    /// problems found, each naming the entry. A spelling that already names
    /// another value is one.
    pub fn extend(&mut self, file: &KnownFile) -> Vec<String> {
        let mut problems = Vec::new();
        self.blocks.add(&file.block, true, &mut problems);
        self.police_stations.add(&file.police_station, true, &mut problems);
        self.schemes.add(&file.scheme, true, &mut problems);
        self.gram_panchayats.add(&file.gram_panchayat, true, &mut problems);
        problems.extend(panchayat_blocks(&file.gram_panchayat, &self.blocks));
        for e in file.block.iter().chain(&file.police_station) {
            if let Some(d) = &e.district
                && self.districts.lookup(d).is_none()
            {
                problems.push(format!("`{}` lies in `{d}`, which is not a district", e.name));
            }
        }
        for a in &file.ahtu_unit {
            self.ahtu_units.add(&a.name, &a.variants, &mut problems, "AHTU");
        }
        problems
    }

    /// An AHTU as written: a unit the list knows, else a district or police
    /// district with the words naming a unit around it, in either order
    /// and any of the place's spellings ("AHTU, Murshidabad", "মুর্শিদাবাদ
    /// AHTU", "Anti Human Trafficking Unit Krishnanagar PD"): that
    /// place's unit.
    pub fn ahtu_unit(&self, written: &str) -> Option<&str> {
        if let Some(u) = self.ahtu_units.lookup(written) {
            return Some(u);
        }
        let key = place_key(written);
        let place = strip_words(&key, UNIT_WORDS);
        if place.len() == key.len() {
            return None;
        }
        let found = self
            .districts
            .lookup(place)
            .filter(|d| {
                self.district_region
                    .get(*d)
                    .is_some_and(|r| r.as_deref() == Some(WEST_BENGAL))
            })
            .or_else(|| self.police_districts.lookup(place))?;
        self.ahtu_units.lookup(&format!("{found} AHTU"))
    }

    /// A police district outside West Bengal: there a district's police is
    /// its Superintendent's, so the district names it ("Ranchi", "Purbi
    /// Singhbhum"). West Bengal's own police districts and commissionerates
    /// are listed in places.toml and are not districts.
    pub fn police_district_beyond_west_bengal(&self, written: &str) -> Option<&str> {
        let d = self.districts.lookup(written)?;
        match self.district_region.get(d) {
            Some(Some(r)) if r != WEST_BENGAL && r != d && self.region_kind.get(r) != Some(&RegionKind::Country) => {
                Some(d)
            }
            _ => None,
        }
    }

    /// Every known block with the district it lies in (the gazetteer's
    /// name for it), for the warehouse's block table: a register that
    /// names the block and not the district is placed by it.
    pub fn block_rows(&self) -> Vec<(String, Option<String>)> {
        self.blocks
            .names
            .iter()
            .map(|b| {
                let district = self
                    .blocks
                    .districts
                    .get(b)
                    .map(|d| self.districts.lookup(d).unwrap_or(d).to_string());
                (b.clone(), district)
            })
            .collect()
    }

    /// Every canonical district with its region and the region's kind
    /// (`None` for a name regions share, written without one), for the
    /// warehouse's place table.
    pub fn district_rows(&self) -> Vec<(String, Option<String>, Option<&'static str>)> {
        self.district_region
            .iter()
            .map(|(d, r)| {
                let kind = r.as_ref().and_then(|r| self.region_kind.get(r)).map(|k| k.as_str());
                (d.clone(), r.clone(), kind)
            })
            .collect()
    }
}

/// A district: its name, or its name followed by other spellings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Spellings {
    One(String),
    Many(Vec<String>),
}

impl Spellings {
    pub fn all(&self) -> &[String] {
        match self {
            Spellings::One(s) => std::slice::from_ref(s),
            Spellings::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsFile {
    pub region: Vec<Region>,
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

/// One entry of a list of known values: a block, a police station, a
/// compensation scheme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownEntry {
    pub name: String,
    /// The district a block or police station lies in.
    #[serde(default)]
    pub district: Option<String>,
    /// A police station's police district or commissionerate.
    #[serde(default)]
    pub police_district: Option<String>,
    /// A police station's state.
    #[serde(default)]
    pub state: Option<String>,
    /// A gram panchayat's block.
    #[serde(default)]
    pub block: Option<String>,
    /// The block's or gram panchayat's code in the Local Government Directory.
    #[serde(default)]
    pub lgd: Option<u32>,
    #[serde(default)]
    pub variants: Vec<String>,
}

/// Lists of known values, as `schemas/reference/{blocks,police_stations,schemes}.toml`
/// and an installation's `reference.toml` write them. The installation's
/// file may also add AHTUs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFile {
    #[serde(default)]
    pub block: Vec<KnownEntry>,
    #[serde(default)]
    pub police_station: Vec<KnownEntry>,
    #[serde(default)]
    pub scheme: Vec<KnownEntry>,
    #[serde(default)]
    pub ahtu_unit: Vec<Place>,
    /// Gram panchayats, each with its block: an installation lists those
    /// its partners' registers name (the shipped list holds none, see
    /// `schemas/reference/gram_panchayats.toml`).
    #[serde(default)]
    pub gram_panchayat: Vec<KnownEntry>,
}

/// Problems of gram panchayats whose block is missing or unknown.
fn panchayat_blocks(entries: &[KnownEntry], blocks: &KnownValues) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match &e.block {
            None => Some(format!("gram panchayat `{}` names no block", e.name)),
            Some(b) if blocks.lookup(b).is_none() => Some(format!(
                "gram panchayat `{}` lies in block `{b}`, which is not a known block",
                e.name
            )),
            _ => None,
        })
        .collect()
}

/// What a list of known values holds, which decides how a spelling is keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownKind {
    Block,
    PoliceStation,
    Scheme,
    GramPanchayat,
}

impl KnownKind {
    fn what(self) -> &'static str {
        match self {
            KnownKind::Block => "block",
            KnownKind::PoliceStation => "police station",
            KnownKind::Scheme => "scheme",
            KnownKind::GramPanchayat => "gram panchayat",
        }
    }

    /// Words a register writes beside the name (dropped wherever they stand).
    fn noise(self) -> &'static [&'static [&'static str]] {
        match self {
            KnownKind::Block => &[
                &["c", "d", "block"],
                &["cd", "block"],
                &["c", "d"],
                &["cd"],
                &["development", "block"],
                &["dev", "block"],
                &["block"],
                &["bdo"],
                &["ব্লক"],
            ],
            KnownKind::PoliceStation => &[&["police", "station"], &["p", "s"], &["ps"], &["thana"], &["থানা"]],
            KnownKind::Scheme => &[],
            KnownKind::GramPanchayat => &[
                &["gram", "panchayat"],
                &["gram", "panchayet"],
                &["gram", "panchayath"],
                &["panchayat"],
                &["g", "p"],
                &["gp"],
                &["গ্রাম", "পঞ্চায়েত"],
                &["গ্রামপঞ্চায়েত"],
                &["পঞ্চায়েত"],
                &["জিপি"],
            ],
        }
    }

    /// The key a spelling is matched by: the place key without the kind's
    /// noise words, a block's closing I, II, III or IV as a digit, and the
    /// words run together (`Pathar Pratima` and `Patharpratima` meet).
    pub fn key(self, written: &str) -> String {
        let key = place_key(written);
        let mut words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        for noise in self.noise() {
            let mut i = 0;
            while i + noise.len() <= words.len() {
                if words[i..i + noise.len()] == **noise && words.len() > noise.len() {
                    words.drain(i..i + noise.len());
                } else {
                    i += 1;
                }
            }
        }
        if self == KnownKind::Block
            && words.len() > 1
            && let Some(last) = words.last_mut()
        {
            *last = match *last {
                "i" => "1",
                "ii" => "2",
                "iii" => "3",
                "iv" => "4",
                w => w,
            };
        }
        words.concat()
    }
}

/// A list of known values of one kind, with their spellings.
#[derive(Debug)]
pub struct KnownValues {
    kind: KnownKind,
    /// Key -> canonical name; `None` where two names share the key (a
    /// spelling that could be either names neither).
    by_key: HashMap<String, Option<String>>,
    pub names: Vec<String>,
    /// Each name's district, where its entry gives one (a block's, a
    /// police station's).
    pub districts: HashMap<String, String>,
}

impl KnownValues {
    fn new(kind: KnownKind) -> Self {
        KnownValues {
            kind,
            by_key: HashMap::new(),
            names: Vec::new(),
            districts: HashMap::new(),
        }
    }

    /// Add `entries`. A name listed twice is a problem. A spelling two
    /// names share is left to neither when `strict` is off (the shipped
    /// lists: two districts' Sankrail), and is a problem when it is on
    /// (an installation's additions, which must not make a shipped
    /// spelling ambiguous without a word).
    fn add(&mut self, entries: &[KnownEntry], strict: bool, problems: &mut Vec<String>) {
        let what = self.kind.what();
        for e in entries {
            if self.names.contains(&e.name) {
                problems.push(format!("{what} `{}` is listed twice", e.name));
                continue;
            }
            if self.kind.key(&e.name).is_empty() {
                problems.push(format!("{what} `{}` has no letters or digits", e.name));
                continue;
            }
            self.names.push(e.name.clone());
            if let Some(d) = &e.district {
                self.districts.insert(e.name.clone(), d.clone());
            }
            for v in std::iter::once(&e.name).chain(&e.variants) {
                let key = self.kind.key(v);
                if key.is_empty() {
                    continue;
                }
                match self.by_key.get(&key) {
                    None => {
                        self.by_key.insert(key, Some(e.name.clone()));
                    }
                    Some(Some(other)) if other == &e.name => {}
                    Some(Some(other)) if strict => {
                        problems.push(format!("{what} spelling `{v}` already names `{other}`"));
                    }
                    Some(_) => {
                        self.by_key.insert(key, None);
                    }
                }
            }
        }
    }

    /// The list's name for a written value, if it knows it: the whole cell,
    /// else its first part before a comma, slash, semicolon or bracket
    /// (`Canning-I, S 24 Pgs`).
    pub fn lookup(&self, written: &str) -> Option<&str> {
        let found = |s: &str| self.by_key.get(&self.kind.key(s)).and_then(|n| n.as_deref());
        found(written).or_else(|| {
            let first = written.split([',', '/', ';', '(']).next()?;
            (first.len() < written.len()).then(|| found(first)).flatten()
        })
    }
}

/// One kind of place, with its spellings resolved to canonical names.
#[derive(Debug, Default)]
pub struct Gazetteer {
    by_key: HashMap<String, String>,
    pub names: Vec<String>,
    /// Region names a cell may add after a district ("Ranchi, Jharkhand"),
    /// as keys, longest first.
    qualifiers: Vec<String>,
    /// Spellings of entries made from other lists (an AHTU for every
    /// district), which a listed entry may take over without a problem.
    generated: HashSet<String>,
}

/// Words a register writes around a place name: "Dist. Ranchi", "Malda
/// district", "জেলা নদিয়া".
const PLACE_WORDS: &[&str] = &[
    "district",
    "dist",
    "distt",
    "dt",
    "zila",
    "zilla",
    "jila",
    "jilla",
    "jela",
    "জেলা",
    "india",
];

fn region_of(canonical: &str, region: &str) -> String {
    format!("{canonical} ({region})")
}

impl Gazetteer {
    fn build(places: &[Place], problems: &mut Vec<String>, kind: &str) -> Self {
        let mut g = Gazetteer::default();
        for p in places {
            g.add(&p.name, &p.variants, problems, kind);
        }
        g
    }

    /// A place and its spellings; a spelling that already names another
    /// place of this kind is a problem.
    fn add(&mut self, name: &str, variants: &[String], problems: &mut Vec<String>, kind: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
        for v in variants.iter().map(String::as_str).chain(std::iter::once(name)) {
            let key = place_key(v);
            let generated = self.generated.remove(&key);
            if let Some(prev) = self.by_key.insert(key, name.to_string())
                && prev != name
                && !generated
            {
                problems.push(format!("{kind} spelling `{v}` names both `{prev}` and `{name}`"));
            }
        }
    }

    /// "<place> AHTU" for every district and police district the lists
    /// hold that no listed unit already is: the Calcutta High Court
    /// directed an AHTU in every district, and registers name one by its
    /// place. A listed unit (shipped, or an installation's) keeps its
    /// spellings; an installation's may take over a generated one ("Nadia
    /// AHTU" written for the Krishnanagar unit).
    fn add_units_of(&mut self, places: &[&Place]) {
        for p in places {
            let unit = format!("{} AHTU", p.name);
            let key = place_key(&unit);
            if self.by_key.contains_key(&key) {
                continue;
            }
            self.names.push(unit.clone());
            self.by_key.insert(key.clone(), unit);
            self.generated.insert(key);
        }
    }

    /// The canonical name for a written spelling, if known. A spelling the
    /// list lacks is tried again without the words registers add around a
    /// place ("Dist.", "district", "জেলা") and without a trailing region
    /// ("Jessore, Bangladesh").
    pub fn lookup(&self, written: &str) -> Option<&str> {
        let key = place_key(written);
        if let Some(c) = self.by_key.get(&key) {
            return Some(c);
        }
        let bare = strip_place_words(&key);
        if let Some(c) = self.by_key.get(bare) {
            return Some(c);
        }
        self.qualifiers.iter().find_map(|q| {
            let rest = bare.strip_suffix(q.as_str())?.strip_suffix(' ')?;
            self.by_key.get(strip_place_words(rest)).map(String::as_str)
        })
    }

    /// Districts: West Bengal's, then every other region's, then the regions
    /// a district cell may name itself. Returns each canonical district's
    /// region (`None` for a name shared by regions, written without one).
    fn districts(
        west_bengal: &[Place],
        regions: &[Region],
        problems: &mut Vec<String>,
    ) -> (Self, BTreeMap<String, Option<String>>) {
        let mut g = Gazetteer::build(west_bengal, problems, "district");
        let mut region_of_district: BTreeMap<String, Option<String>> = g
            .names
            .iter()
            .map(|n| (n.clone(), Some(WEST_BENGAL.to_string())))
            .collect();
        // Every spelling outside West Bengal, with the districts it may name.
        let mut claims: BTreeMap<String, Vec<(&str, &str, &str)>> = BTreeMap::new();
        for r in regions {
            for d in &r.districts {
                let name = &d.all()[0];
                for v in d.all() {
                    let key = place_key(v);
                    if g.by_key.contains_key(&key) {
                        continue;
                    }
                    let c = claims.entry(key).or_default();
                    if !c
                        .iter()
                        .any(|(n, reg, _)| *n == name.as_str() && *reg == r.name.as_str())
                    {
                        c.push((name.as_str(), r.name.as_str(), v.as_str()));
                    }
                }
            }
        }
        let shared = |name: &str| claims.get(&place_key(name)).is_some_and(|c| c.len() > 1);
        for r in regions {
            for d in &r.districts {
                let name = &d.all()[0];
                let canonical = if shared(name) {
                    region_of(name, &r.name)
                } else {
                    name.clone()
                };
                if shared(name) {
                    g.by_key
                        .insert(place_key(&format!("{name} {}", r.name)), canonical.clone());
                }
                if region_of_district
                    .insert(canonical.clone(), Some(r.name.clone()))
                    .is_some()
                {
                    problems.push(format!("district `{canonical}` is listed twice"));
                }
                g.names.push(canonical);
            }
        }
        for (key, c) in &claims {
            let canonical = match c.as_slice() {
                [(name, region, _)] if shared(name) => region_of(name, region),
                [(name, _, _)] => name.to_string(),
                [(_, _, written), ..] => {
                    region_of_district.insert(written.to_string(), None);
                    written.to_string()
                }
                [] => continue,
            };
            g.by_key.insert(key.clone(), canonical);
        }
        // A region's own name in a district cell ("Jharkhand", "Nepal"): the
        // district is not stated, its state or country is.
        for r in regions {
            region_of_district.insert(r.name.clone(), Some(r.name.clone()));
            for v in r.variants.iter().chain(std::iter::once(&r.name)) {
                g.by_key.entry(place_key(v)).or_insert_with(|| r.name.clone());
            }
        }
        let mut qualifiers: Vec<String> = regions
            .iter()
            .flat_map(|r| r.variants.iter().chain(std::iter::once(&r.name)))
            .chain(std::iter::once(&WEST_BENGAL.to_string()))
            .map(|v| place_key(v))
            .filter(|k| k.chars().count() > 2)
            .collect();
        qualifiers.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        qualifiers.dedup();
        g.qualifiers = qualifiers;
        (g, region_of_district)
    }
}

const WEST_BENGAL: &str = "West Bengal";

impl Gazetteer {
    /// States, union territories and countries: their names and spellings,
    /// then any district spelling for the region it lies in ("Pune" ->
    /// Maharashtra), so a destination written as a city or district is
    /// still a state.
    fn states(
        listed: &[Place],
        regions: &[Region],
        district_region: &BTreeMap<String, Option<String>>,
        districts: &Gazetteer,
        problems: &mut Vec<String>,
    ) -> Self {
        let mut g = Gazetteer::build(listed, problems, "state");
        for r in regions {
            g.add(&r.name, &r.variants, problems, "state");
        }
        for (key, canonical) in &districts.by_key {
            if let Some(Some(region)) = district_region.get(canonical) {
                g.by_key.entry(key.clone()).or_insert_with(|| region.clone());
            }
        }
        g
    }
}

/// A place key without the words registers write around a name.
fn strip_place_words(key: &str) -> &str {
    strip_words(key, PLACE_WORDS)
}

/// Words a register writes around a place to name its AHTU, as keys
/// (longest first, so "anti human trafficking unit" goes whole).
const UNIT_WORDS: &[&str] = &[
    "anti human trafficking unit",
    "anti trafficking unit",
    "anti human trafficking",
    "police district",
    "a h t u",
    "ahtu",
    "unit",
    "of",
    "pd",
    "ps",
    "district",
    "dist",
    "মানব পাচার বিরোধী ইউনিট",
    "এএইচটিইউ",
];

/// `key` without any of `words` at its start or end, repeatedly.
fn strip_words<'k>(key: &'k str, words: &[&str]) -> &'k str {
    let mut k = key;
    loop {
        let before = k;
        for w in words {
            if let Some(rest) = k.strip_prefix(w).and_then(|r| r.strip_prefix(' ')) {
                k = rest;
            }
            if let Some(rest) = k.strip_suffix(w).and_then(|r| r.strip_suffix(' ')) {
                k = rest;
            }
        }
        if k == before {
            return k;
        }
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
    /// Community development blocks.
    pub blocks: KnownValues,
    /// Police stations.
    pub police_stations: KnownValues,
    /// Victim-compensation schemes.
    pub schemes: KnownValues,
    /// Gram panchayats an installation lists.
    pub gram_panchayats: KnownValues,
    /// Each canonical district's state, union territory or country; `None`
    /// for a name regions share, written without its region.
    pub district_region: BTreeMap<String, Option<String>>,
    /// Each state, union territory and country, by name.
    pub region_kind: BTreeMap<String, RegionKind>,
    /// The acts, their aliases and the sections that mark trafficking.
    pub acts: tafteesh_parsers::sections::ActTable,
}

impl Reference {
    pub fn build(
        places: &PlacesFile,
        india: &RegionsFile,
        sections: &SectionsFile,
        known: &KnownFile,
    ) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let (districts, district_region) = Gazetteer::districts(&places.district, &india.region, &mut problems);
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
        let mut ahtu_units = Gazetteer::build(&places.ahtu_unit, &mut problems, "AHTU");
        ahtu_units.add_units_of(
            &places
                .district
                .iter()
                .chain(&places.police_district)
                .collect::<Vec<_>>(),
        );
        let states = Gazetteer::states(
            &places.state,
            &india.region,
            &district_region,
            &districts,
            &mut problems,
        );
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
        let mut blocks = KnownValues::new(KnownKind::Block);
        let mut police_stations = KnownValues::new(KnownKind::PoliceStation);
        let mut schemes = KnownValues::new(KnownKind::Scheme);
        blocks.add(&known.block, false, &mut problems);
        police_stations.add(&known.police_station, false, &mut problems);
        schemes.add(&known.scheme, false, &mut problems);
        let mut gram_panchayats = KnownValues::new(KnownKind::GramPanchayat);
        gram_panchayats.add(&known.gram_panchayat, false, &mut problems);
        problems.extend(panchayat_blocks(&known.gram_panchayat, &blocks));
        for e in known.block.iter().chain(&known.police_station) {
            if let Some(d) = &e.district
                && districts.lookup(d).is_none()
            {
                problems.push(format!("`{}` lies in `{d}`, which is not a district", e.name));
            }
        }
        (
            Reference {
                districts,
                police_districts,
                ahtu_units,
                states,
                blocks,
                police_stations,
                schemes,
                gram_panchayats,
                district_region,
                region_kind: india
                    .region
                    .iter()
                    .map(|r| (r.name.clone(), r.kind))
                    .chain(std::iter::once((WEST_BENGAL.to_string(), RegionKind::State)))
                    .collect(),
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
