//! `tafteesh synth`: deterministic demo exports from 8 fictional partners,
//! and the ground truth that tests measure the pipeline against.
//!
//! The generator draws a true world (people, cases, claims; see [`world`]),
//! then has each partner record its share of it the way that partner does:
//! its own ids, column headers and codes (read from the partner's pipeline
//! config, so the demo data and its configs cannot drift apart), and its own
//! quirks (date and amount notation, spelling of names and places, Bengali
//! script and digits, blanks, mistakes, re-exported rows).
//!
//! Beside the inbox it writes `truth/`: for every record each partner holds,
//! the true person / case / claim, whether the pipeline should keep or
//! quarantine it, and the clean value it should end with for every field
//! (empty where the partner left it blank or wrote something unrecoverable,
//! which the truth lists in `corrupt_fields`). All names are fictional.

pub mod names;
pub mod world;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::pipeline::{Format, Pipeline, Source};
use crate::config::reference::PlacesFile;
use crate::config::schema::{ColumnType, TableSchema};
use crate::config::{DEMO_PIPELINES_DIR, Model};
use crate::error::{Error, Result};
use names::VARIANTS;
use world::{Case, Claim, Person, World};

#[derive(Debug, Clone, Copy, PartialEq)]
enum DateFmt {
    DmySlash,
    DmyDash,
    DmyDot,
    DmyShort,
    Iso,
    Mdy,
    MonAbbr,
    Ordinal,
    SerialText,
    /// XLSX only: a real date cell.
    DateCell,
    /// XLSX only: a bare number (an Excel serial without a date format).
    NumberCell,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AmountFmt {
    Plain,
    Rs,
    Rupee,
    Lakh,
    Lac,
    Inr,
    NumberCell,
}

#[derive(Debug, Clone, Copy)]
enum PhoneFmt {
    Plain,
    Spaced,
    Zero,
    Dash,
}

/// How one partner writes its records.
struct Style {
    partner: &'static str,
    prefix: &'static str,
    /// File names: the last holds every record; earlier ones are older
    /// cumulative exports holding the records registered before a cut-off.
    files: &'static [&'static str],
    dates: &'static [(DateFmt, u32)],
    amounts: &'static [(AmountFmt, u32)],
    phones: &'static [PhoneFmt],
    yes_no: (&'static str, &'static str),
    place_variant: f64,
    bengali: f64,
    bengali_digits: f64,
    name_variant: f64,
    honorific: f64,
    swap: f64,
    upper: bool,
    blank: f64,
    corrupt: f64,
    dup: f64,
    bom_crlf: bool,
    extras: &'static [&'static str],
}

const STYLES: &[Style] = &[
    Style {
        partner: "sundarban_sathi",
        prefix: "SS-",
        files: &["register_2025-03.csv", "register_2026-10.csv"],
        dates: &[(DateFmt::DmySlash, 70), (DateFmt::DmyDash, 20), (DateFmt::MonAbbr, 10)],
        amounts: &[(AmountFmt::Rs, 50), (AmountFmt::Lakh, 30), (AmountFmt::Plain, 20)],
        phones: &[PhoneFmt::Plain, PhoneFmt::Spaced],
        yes_no: ("Yes", "No"),
        place_variant: 0.5,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.2,
        honorific: 0.2,
        swap: 0.0,
        upper: false,
        blank: 0.08,
        corrupt: 0.01,
        dup: 0.0,
        bom_crlf: false,
        extras: &["Remarks"],
    },
    Style {
        partner: "basirhat_nari",
        prefix: "BNK/",
        files: &["kobo_export_2026-10-30.csv"],
        dates: &[(DateFmt::Iso, 100)],
        amounts: &[(AmountFmt::Plain, 100)],
        phones: &[PhoneFmt::Plain],
        yes_no: ("yes", "no"),
        place_variant: 0.6,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.4,
        honorific: 0.0,
        swap: 0.0,
        upper: false,
        blank: 0.06,
        corrupt: 0.008,
        dup: 0.02,
        bom_crlf: false,
        extras: &["_id", "_uuid", "_validation_status", "_index"],
    },
    Style {
        partner: "mumbai_mukti",
        prefix: "MMF/",
        files: &["rescued_register.xlsx"],
        dates: &[(DateFmt::DateCell, 60), (DateFmt::Mdy, 40)],
        amounts: &[(AmountFmt::NumberCell, 100)],
        phones: &[PhoneFmt::Spaced, PhoneFmt::Dash],
        yes_no: ("Y", "N"),
        place_variant: 0.7,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.6,
        honorific: 0.0,
        swap: 0.15,
        upper: true,
        blank: 0.12,
        corrupt: 0.01,
        dup: 0.01,
        bom_crlf: false,
        extras: &["Shelter Home"],
    },
    Style {
        partner: "nyaya_lawyers",
        prefix: "NL/",
        files: &["nyaya_docket_2026-10.xlsx"],
        dates: &[
            (DateFmt::MonAbbr, 30),
            (DateFmt::Ordinal, 20),
            (DateFmt::DateCell, 30),
            (DateFmt::DmyDot, 20),
        ],
        amounts: &[
            (AmountFmt::Rs, 40),
            (AmountFmt::Lakh, 30),
            (AmountFmt::Rupee, 20),
            (AmountFmt::Lac, 10),
        ],
        phones: &[PhoneFmt::Plain],
        yes_no: ("Yes", "No"),
        place_variant: 0.5,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.3,
        honorific: 0.0,
        swap: 0.0,
        upper: false,
        blank: 0.05,
        corrupt: 0.01,
        dup: 0.01,
        bom_crlf: false,
        extras: &["Advocate"],
    },
    Style {
        partner: "bijoy_collective",
        prefix: "BJ-",
        files: &["bijoyini_members.csv"],
        dates: &[(DateFmt::DmySlash, 60), (DateFmt::DmyDash, 40)],
        amounts: &[(AmountFmt::Plain, 60), (AmountFmt::Lakh, 40)],
        phones: &[PhoneFmt::Plain, PhoneFmt::Zero],
        yes_no: ("হ্যাঁ", "না"),
        place_variant: 0.3,
        bengali: 0.6,
        bengali_digits: 0.5,
        name_variant: 0.3,
        honorific: 0.0,
        swap: 0.0,
        upper: false,
        blank: 0.1,
        corrupt: 0.01,
        dup: 0.02,
        bom_crlf: true,
        extras: &[],
    },
    Style {
        partner: "diamond_harbour_ngo",
        prefix: "DHMS-",
        files: &["odk_survivor_form.csv"],
        dates: &[(DateFmt::Iso, 100)],
        amounts: &[(AmountFmt::Plain, 100)],
        phones: &[PhoneFmt::Plain, PhoneFmt::Spaced],
        yes_no: ("yes", "no"),
        place_variant: 0.5,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.3,
        honorific: 0.1,
        swap: 0.0,
        upper: false,
        blank: 0.07,
        corrupt: 0.01,
        dup: 0.02,
        bom_crlf: false,
        extras: &["meta-instanceID", "KEY", "ReviewState"],
    },
    Style {
        partner: "canning_shakti",
        prefix: "CSV-",
        files: &["canning_register.xlsx"],
        dates: &[(DateFmt::NumberCell, 80), (DateFmt::DmySlash, 20)],
        amounts: &[(AmountFmt::Lakh, 50), (AmountFmt::NumberCell, 50)],
        phones: &[PhoneFmt::Plain],
        yes_no: ("Y", "N"),
        place_variant: 0.6,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.3,
        honorific: 0.3,
        swap: 0.1,
        upper: false,
        blank: 0.1,
        corrupt: 0.015,
        dup: 0.01,
        bom_crlf: false,
        extras: &[],
    },
    Style {
        partner: "barasat_hope",
        prefix: "BHF",
        files: &["bhf_export.txt"],
        dates: &[
            (DateFmt::DmyShort, 40),
            (DateFmt::DmyDash, 40),
            (DateFmt::SerialText, 20),
        ],
        amounts: &[(AmountFmt::Inr, 100)],
        phones: &[PhoneFmt::Zero, PhoneFmt::Dash],
        yes_no: ("Y", "N"),
        place_variant: 0.7,
        bengali: 0.0,
        bengali_digits: 0.0,
        name_variant: 0.3,
        honorific: 0.0,
        swap: 0.0,
        upper: true,
        blank: 0.09,
        corrupt: 0.012,
        dup: 0.02,
        bom_crlf: false,
        extras: &["REMARKS"],
    },
];

/// What a run of the generator wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthSummary {
    pub people: usize,
    pub cases: usize,
    pub claims: usize,
    pub inbox: PathBuf,
    pub truth: PathBuf,
    /// (file, data rows)
    pub files: Vec<(String, usize)>,
}

/// A cell as the partner's tool stores it.
#[derive(Debug, Clone)]
enum Cell {
    S(String),
    N(f64),
    D(NaiveDate),
}

/// A true value before a partner writes it.
#[derive(Debug, Clone)]
enum V {
    S(String),
    D(NaiveDate),
    I(i64),
    B(bool),
    Sections(Vec<(&'static str, &'static str)>),
    Name {
        given: (&'static str, &'static str),
        surname: (&'static str, &'static str),
        guardian: bool,
        female: bool,
    },
}

/// One field as written, with what the pipeline should make of it.
#[derive(Debug, Clone)]
struct Written {
    cell: Cell,
    expected: Option<String>,
    corrupt: bool,
}

/// One record's truth.
#[derive(Debug, Default)]
struct TruthRow {
    values: BTreeMap<String, String>,
}

/// Generate `n` people and the partners' exports into `out/inbox`, with the truth in `out/truth`.
pub fn generate(n: usize, seed: u64, out: &Path) -> Result<SynthSummary> {
    let model = Model::load()?;
    let places: PlacesFile = crate::config::parse_embedded("reference/places.toml")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let world = world::generate(n, &mut rng);
    let inbox = out.join("inbox");
    let truth_dir = out.join("truth");
    for d in [&inbox, &truth_dir] {
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(Error::io(d))?;
        }
        std::fs::create_dir_all(d).map_err(Error::io(d))?;
    }
    let assignment = assign(&world, &mut rng);
    let mut truth: BTreeMap<&str, Vec<TruthRow>> = BTreeMap::new();
    let mut files = Vec::new();
    for style in STYLES {
        let text = DEMO_PIPELINES_DIR
            .get_file(format!("{}.toml", style.partner))
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| Error::Internal(format!("demo pipeline {} missing", style.partner)))?;
        let (pipeline, _) = Pipeline::parse(text).map_err(Error::Internal)?;
        let mut ctx = Writer {
            style,
            model: &model,
            places: &places,
            world: &world,
            rng: ChaCha8Rng::seed_from_u64(seed ^ hash_str(style.partner)),
        };
        let held = &assignment[style.partner];
        // Every source of the partner (sheets of one workbook share a file).
        let mut sheets: Vec<Sheet<'_>> = Vec::new();
        for source in &pipeline.sources {
            let (headers, rows, registered) = ctx.source_rows(source, held, &mut truth);
            sheets.push(Sheet {
                source,
                headers,
                rows,
                registered,
            });
        }
        let dir = inbox.join(style.partner);
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let cutoff = NaiveDate::from_ymd_opt(2025, 4, 1).expect("valid date");
        for (fi, name) in style.files.iter().enumerate() {
            let last = fi + 1 == style.files.len();
            let path = dir.join(name);
            // An older cumulative export holds the records registered before the cut-off.
            let older: Vec<Sheet<'_>>;
            let these: &[Sheet<'_>] = if last {
                &sheets
            } else {
                older = sheets.iter().map(|s| s.registered_before(cutoff)).collect();
                &older
            };
            match these[0].source.format {
                Format::Csv => write_csv(&path, style, &these[0])?,
                Format::Xlsx => write_xlsx(&path, these)?,
            }
            let count = these.iter().map(|s| s.rows.len()).sum();
            files.push((format!("{}/{name}", style.partner), count));
        }
    }
    for (table, rows) in &truth {
        write_truth(&truth_dir.join(format!("{table}.csv")), rows)?;
    }
    Ok(SynthSummary {
        people: world.people.len(),
        cases: world.cases.len(),
        claims: world.claims.len(),
        inbox,
        truth: truth_dir,
        files,
    })
}

/// One sheet (or the whole of a CSV file) of a partner's export.
struct Sheet<'a> {
    source: &'a Source,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    /// The registration date of each row's survivor.
    registered: Vec<NaiveDate>,
}

impl Sheet<'_> {
    fn registered_before(&self, cutoff: NaiveDate) -> Self {
        let keep = |i: &usize| self.registered[*i] < cutoff;
        Sheet {
            source: self.source,
            headers: self.headers.clone(),
            rows: (0..self.rows.len())
                .filter(keep)
                .map(|i| self.rows[i].clone())
                .collect(),
            registered: (0..self.rows.len()).filter(keep).map(|i| self.registered[i]).collect(),
        }
    }
}

fn hash_str(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Which partner holds which people, cases and claims.
#[derive(Default)]
struct Held {
    people: Vec<usize>,
    cases: Vec<usize>,
    claims: Vec<usize>,
}

fn assign(w: &World, rng: &mut ChaCha8Rng) -> HashMap<&'static str, Held> {
    let mut h: HashMap<&'static str, Held> = STYLES.iter().map(|s| (s.partner, Held::default())).collect();
    for p in &w.people {
        let mut holders: Vec<&'static str> = Vec::new();
        let home = match p.district {
            "South 24 Parganas" => *[
                ("sundarban_sathi", 45),
                ("diamond_harbour_ngo", 30),
                ("canning_shakti", 25),
            ]
            .choose_weighted(rng, |x| x.1)
            .expect("non-empty"),
            "North 24 Parganas" => *[("basirhat_nari", 55), ("barasat_hope", 45)]
                .choose_weighted(rng, |x| x.1)
                .expect("non-empty"),
            _ => *[("basirhat_nari", 50), ("sundarban_sathi", 50)]
                .choose_weighted(rng, |x| x.1)
                .expect("non-empty"),
        };
        if rng.random_bool(0.93) {
            holders.push(home.0);
        }
        if p.destination == "Maharashtra" && rng.random_bool(0.6) {
            holders.push("mumbai_mukti");
        }
        if p.collective && rng.random_bool(0.9) {
            holders.push("bijoy_collective");
        }
        let lawyers = (p.legal == "programme_lawyer" && rng.random_bool(0.85))
            || (p.legal == "legal_aid" && rng.random_bool(0.2));
        if holders.is_empty() && !lawyers {
            holders.push(home.0);
        }
        for partner in holders {
            let held = h.get_mut(partner).expect("every style has an entry");
            held.people.push(p.id);
            if let Some(&c) = p.cases.first() {
                held.cases.push(c);
                if let Some(cl) = w.cases[c].claim {
                    held.claims.push(cl);
                }
            }
        }
        if lawyers && !p.cases.is_empty() {
            let held = h.get_mut("nyaya_lawyers").expect("lawyers have a style");
            for &c in &p.cases {
                held.cases.push(c);
                if let Some(cl) = w.cases[c].claim {
                    held.claims.push(cl);
                }
            }
        }
    }
    h
}

struct Writer<'a> {
    style: &'static Style,
    model: &'a Model,
    places: &'a PlacesFile,
    world: &'a World,
    rng: ChaCha8Rng,
}

impl Writer<'_> {
    /// The rows of one source: one per person (wide sheets), per case or per claim.
    /// Returns headers, rows and each row's registration date (for cumulative exports).
    fn source_rows(
        &mut self,
        source: &Source,
        held: &Held,
        truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
    ) -> (Vec<String>, Vec<Vec<Cell>>, Vec<NaiveDate>) {
        let mut headers: Vec<String> = Vec::new();
        for (table, feed) in &source.tables {
            let schema = self.model.schema(table);
            for c in &schema.columns {
                if let Some(h) = feed.columns.get(&c.name)
                    && !headers.contains(h)
                {
                    headers.push(h.clone());
                }
            }
        }
        headers.extend(self.style.extras.iter().map(|s| s.to_string()));
        let feeds_survivors = source.tables.contains_key("survivors");
        let feeds_cases = source.tables.contains_key("cases");
        let w = self.world;
        let held_cases: std::collections::HashSet<usize> = held.cases.iter().copied().collect();
        // A header that carries any fed table's own id: blank only rarely, and then the row is unusable.
        let key_headers: std::collections::HashSet<&String> = source
            .tables
            .iter()
            .filter_map(|(t, f)| f.columns.get(&self.model.schema(t).key[1]))
            .collect();
        // Rows as (person, case, claim).
        let units: Vec<(Option<&Person>, Option<&Case>, Option<&Claim>)> = if feeds_survivors {
            held.people
                .iter()
                .map(|&p| {
                    let person = &w.people[p];
                    let case = person
                        .cases
                        .first()
                        .map(|&c| &w.cases[c])
                        .filter(|c| held_cases.contains(&c.id));
                    let claim = case.and_then(|c| c.claim).map(|cl| &w.claims[cl]);
                    (Some(person), case, claim)
                })
                .collect()
        } else if feeds_cases {
            held.cases
                .iter()
                .map(|&c| (Some(&w.people[w.cases[c].person]), Some(&w.cases[c]), None))
                .collect()
        } else {
            held.claims
                .iter()
                .map(|&cl| {
                    let case = &w.cases[w.claims[cl].case];
                    (Some(&w.people[case.person]), Some(case), Some(&w.claims[cl]))
                })
                .collect()
        };
        let mut rows = Vec::new();
        let mut dates = Vec::new();
        for (i, (person, case, claim)) in units.into_iter().enumerate() {
            let person = person.expect("every unit has a person");
            let refs = Refs {
                survivor: format!("{}{:05}", self.style.prefix, person.id + 1),
                case: case.map(|c| format!("{}C{:05}", self.style.prefix, c.id + 1)),
                claim: claim.map(|c| format!("{}V{:05}", self.style.prefix, c.id + 1)),
            };
            let mut by_header: HashMap<String, Written> = HashMap::new();
            for (table, feed) in &source.tables {
                let schema = self.model.schema(table);
                let unit_present = match table.as_str() {
                    "survivors" => true,
                    "cases" => {
                        case.is_some()
                            && feed
                                .constants
                                .get("state")
                                .is_none_or(|s| s == case.map(|c| c.state).unwrap_or(""))
                    }
                    _ => claim.is_some(),
                };
                if !unit_present {
                    continue;
                }
                let mut t = TruthRow::default();
                let key = &schema.key[1];
                let mut corrupt = Vec::new();
                for c in &schema.columns {
                    if c.derived_from.is_some() || c.name == "partner_id" {
                        continue;
                    }
                    let truth_value = true_value(table, &c.name, person, case, claim, &refs);
                    let written = if let Some(h) = feed.columns.get(&c.name) {
                        if let Some(prev) = by_header.get(h) {
                            prev.clone()
                        } else {
                            let required_key = key_headers.contains(h);
                            let wr = self.write(
                                schema,
                                &c.name,
                                truth_value.clone(),
                                feed.values.get(&c.name),
                                required_key,
                                h,
                            );
                            by_header.insert(h.clone(), wr.clone());
                            wr
                        }
                    } else if let Some(k) = feed.constants.get(&c.name) {
                        Written {
                            cell: Cell::S(k.clone()),
                            expected: Some(k.clone()),
                            corrupt: false,
                        }
                    } else {
                        Written {
                            cell: Cell::S(String::new()),
                            expected: None,
                            corrupt: false,
                        }
                    };
                    if written.corrupt {
                        corrupt.push(c.name.clone());
                    }
                    if let (Some(V::Name { .. }), Cell::S(s)) = (&truth_value, &written.cell) {
                        t.values.insert(format!("written_{}", c.name), s.clone());
                    }
                    if c.ty == ColumnType::Phone
                        && let Cell::S(s) = &written.cell
                    {
                        t.values.insert("written_phone".into(), s.clone());
                    }
                    if c.ty == ColumnType::Address
                        && let Cell::S(s) = &written.cell
                    {
                        t.values.insert("written_village".into(), s.clone());
                    }
                    if c.ty == ColumnType::Sections {
                        let traffic = written.expected.as_ref().map(|_| match &truth_value {
                            Some(V::Sections(items)) => is_trafficking(items).to_string(),
                            _ => String::new(),
                        });
                        t.values
                            .insert("is_trafficking_case".into(), traffic.unwrap_or_default());
                    }
                    if matches!(c.ty, ColumnType::Name | ColumnType::Phone | ColumnType::Address) {
                        continue;
                    }
                    t.values
                        .insert(c.name.clone(), written.expected.clone().unwrap_or_default());
                }
                let key_blank = t.values.get(key.as_str()).is_none_or(|v| v.is_empty());
                t.values.insert("partner_id".into(), self.style.partner.into());
                t.values.insert(
                    "expected_status".into(),
                    if key_blank { "quarantined".into() } else { "kept".into() },
                );
                t.values.insert("corrupt_fields".into(), corrupt.join(";"));
                t.values.insert("person_id".into(), person.id.to_string());
                t.values
                    .insert("case_id".into(), case.map(|c| c.id.to_string()).unwrap_or_default());
                t.values
                    .insert("claim_id".into(), claim.map(|c| c.id.to_string()).unwrap_or_default());
                t.values.insert(
                    "true_ref".into(),
                    match table.as_str() {
                        "survivors" => refs.survivor.clone(),
                        "cases" => refs.case.clone().unwrap_or_default(),
                        _ => refs.claim.clone().unwrap_or_default(),
                    },
                );
                let table_static: &'static str = match table.as_str() {
                    "survivors" => "survivors",
                    "cases" => "cases",
                    _ => "compensation_claims",
                };
                truth.entry(table_static).or_default().push(t);
            }
            let row: Vec<Cell> = headers
                .iter()
                .map(|h| {
                    by_header
                        .get(h)
                        .map(|w| w.cell.clone())
                        .unwrap_or_else(|| Cell::S(self.extra(h, i)))
                })
                .collect();
            rows.push(row);
            dates.push(person.registered);
        }
        // Re-exported rows: some rows appear twice.
        let n = rows.len();
        for i in 0..n {
            if self.rng.random_bool(self.style.dup) {
                let pos = self.rng.random_range(i..=rows.len());
                let (r, d) = (rows[i].clone(), dates[i]);
                rows.insert(pos, r);
                dates.insert(pos, d);
            }
        }
        (headers, rows, dates)
    }

    fn extra(&mut self, header: &str, i: usize) -> String {
        match header {
            "_id" => (100_000 + i).to_string(),
            "_uuid" | "meta-instanceID" | "KEY" => format!(
                "uuid:{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                self.rng.random::<u32>(),
                self.rng.random::<u16>(),
                self.rng.random_range(0..4096),
                self.rng.random_range(0..4096),
                self.rng.random::<u64>() & 0xffff_ffff_ffff
            ),
            "_validation_status" => "validation_status_approved".into(),
            "_index" => (i + 1).to_string(),
            "ReviewState" => ["approved", "hasIssues", ""]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            "REMARKS" | "Remarks" => [
                "follow-up due – café meeting",
                "home visit done",
                "",
                "counselling ongoing",
            ]
            .choose(&mut self.rng)
            .expect("non-empty")
            .to_string(),
            "Shelter Home" => ["Navjeevan Home", "Asha Sadan", ""]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            "Advocate" => ["Adv. A. Roy", "Adv. S. Khatun", "Adv. P. Das"]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            _ => String::new(),
        }
    }

    /// Write one value the way this partner does, deciding blanks and mistakes.
    fn write(
        &mut self,
        schema: &TableSchema,
        column: &str,
        value: Option<V>,
        partner_map: Option<&BTreeMap<String, String>>,
        is_key: bool,
        header: &str,
    ) -> Written {
        let spec = schema.column(column).expect("column from the schema");
        let blank = Written {
            cell: Cell::S(String::new()),
            expected: None,
            corrupt: false,
        };
        let Some(value) = value else { return blank };
        let s = self.style;
        // The partner's own id: rarely left blank, which makes the row unusable.
        if is_key {
            if self.rng.random_bool(0.004) {
                return blank;
            }
        } else if spec.ty != ColumnType::Id && self.rng.random_bool(s.blank) {
            return blank;
        }
        if self.rng.random_bool(s.corrupt)
            && let Some(junk) = junk_for(spec.ty, &mut self.rng)
        {
            return Written {
                cell: Cell::S(junk.to_string()),
                expected: None,
                corrupt: true,
            };
        }
        let text = |s: String| Cell::S(s);
        match (spec.ty, value) {
            (ColumnType::Date, V::D(d)) => {
                let cell = if header == "_submission_time" || header == "SubmissionDate" {
                    Cell::S(format!(
                        "{}T10:{:02}:{:02}.000+05:30",
                        d.format("%Y-%m-%d"),
                        self.rng.random_range(0..60),
                        self.rng.random_range(0..60)
                    ))
                } else {
                    self.date(d)
                };
                Written {
                    cell,
                    expected: Some(d.format("%Y-%m-%d").to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::AmountInr, V::I(a)) => Written {
                cell: self.amount(a),
                expected: Some(a.to_string()),
                corrupt: false,
            },
            (ColumnType::Integer, V::I(n)) => {
                let w = match self.rng.random_range(0..10) {
                    0 if column == "age_years" => format!("approx {n}"),
                    1 if column == "age_years" => format!("{n} yrs"),
                    _ => n.to_string(),
                };
                Written {
                    cell: text(self.digits(w)),
                    expected: Some(n.to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::Boolean, V::B(b)) => {
                let code = partner_map
                    .and_then(|m| {
                        m.iter()
                            .find(|(_, v)| v.as_str() == if b { "true" } else { "false" })
                            .map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| if b { s.yes_no.0 } else { s.yes_no.1 }.to_string());
                Written {
                    cell: text(code),
                    expected: Some(b.to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::Enum, V::S(v)) => {
                let code = partner_map.and_then(|m| m.iter().find(|(_, c)| **c == v).map(|(k, _)| k.clone()));
                let code = code.unwrap_or_else(|| {
                    let words: Vec<&String> = spec.synonyms.get(&v).map(|w| w.iter().collect()).unwrap_or_default();
                    let bengali: Vec<&&String> = words
                        .iter()
                        .filter(|w| w.chars().any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)))
                        .collect();
                    let latin: Vec<&&String> = words.iter().filter(|w| w.is_ascii() && w.len() > 2).collect();
                    if !bengali.is_empty() && self.rng.random_bool(s.bengali) {
                        bengali
                            .choose(&mut self.rng)
                            .map(|w| w.to_string())
                            .unwrap_or(v.clone())
                    } else if !latin.is_empty() && self.rng.random_bool(0.5) {
                        title_case(latin.choose(&mut self.rng).expect("non-empty"))
                    } else {
                        v.clone()
                    }
                });
                Written {
                    cell: text(code),
                    expected: Some(v),
                    corrupt: false,
                }
            }
            (
                ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit,
                V::S(name),
            ) => {
                let list = match spec.ty {
                    ColumnType::District => &self.places.district,
                    ColumnType::State => &self.places.state,
                    ColumnType::PoliceDistrict => &self.places.police_district,
                    _ => &self.places.ahtu_unit,
                };
                let variants: Vec<&String> = list
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.variants.iter().collect())
                    .unwrap_or_default();
                let wants_bengali = self.rng.random_bool(s.bengali);
                let pool: Vec<&&String> = variants
                    .iter()
                    .filter(|v| v.is_ascii() != wants_bengali || !variants.iter().any(|x| !x.is_ascii()))
                    .collect();
                let written = if self.rng.random_bool(s.place_variant.max(s.bengali)) && !pool.is_empty() {
                    pool.choose(&mut self.rng).expect("non-empty").to_string()
                } else {
                    name.clone()
                };
                let written = if s.upper && written.is_ascii() {
                    written.to_uppercase()
                } else {
                    written
                };
                Written {
                    cell: text(written),
                    expected: Some(name),
                    corrupt: false,
                }
            }
            (ColumnType::Sections, V::Sections(items)) => {
                let written = self.sections(&items);
                let mut sorted: Vec<String> = items.iter().map(|(a, s)| format!("{a} {s}")).collect();
                sorted.sort_by(|x, y| {
                    let (ax, sx) = x.split_once(' ').expect("act and section");
                    let (ay, sy) = y.split_once(' ').expect("act and section");
                    (ax, sx).cmp(&(ay, sy))
                });
                Written {
                    cell: text(written),
                    expected: Some(sorted.join("; ")),
                    corrupt: false,
                }
            }
            (
                ColumnType::Name,
                V::Name {
                    given,
                    surname,
                    guardian,
                    female,
                },
            ) => Written {
                cell: text(self.name(given, surname, guardian, female)),
                expected: None,
                corrupt: false,
            },
            (ColumnType::Phone, V::S(p)) => {
                let w = match s.phones.choose(&mut self.rng).expect("non-empty") {
                    PhoneFmt::Plain => p.clone(),
                    PhoneFmt::Spaced => format!("+91 {} {}", &p[..5], &p[5..]),
                    PhoneFmt::Zero => format!("0{p}"),
                    PhoneFmt::Dash => format!("91-{p}"),
                };
                Written {
                    cell: text(self.digits(w)),
                    expected: Some(format!("+91{p}")),
                    corrupt: false,
                }
            }
            (_, V::S(v)) => {
                let w = if s.upper { v.to_uppercase() } else { v.clone() };
                let expected = if s.upper { v.to_uppercase() } else { v };
                Written {
                    cell: text(w),
                    expected: Some(expected),
                    corrupt: false,
                }
            }
            (ty, v) => unreachable!("no writer for {ty:?} {v:?}"),
        }
    }

    fn digits(&mut self, s: String) -> String {
        if self.rng.random_bool(self.style.bengali_digits) {
            s.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0x09E6 + (c as u32 - '0' as u32)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            s
        }
    }

    fn date(&mut self, d: NaiveDate) -> Cell {
        let fmt = *self
            .style
            .dates
            .choose_weighted(&mut self.rng, |x| x.1)
            .expect("non-empty");
        let serial = (d - NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")).num_days();
        let s = match fmt.0 {
            DateFmt::DmySlash => d.format("%d/%m/%Y").to_string(),
            DateFmt::DmyDash => d.format("%d-%m-%Y").to_string(),
            DateFmt::DmyDot => d.format("%d.%m.%Y").to_string(),
            DateFmt::DmyShort => d.format("%-d/%-m/%y").to_string(),
            DateFmt::Iso => d.format("%Y-%m-%d").to_string(),
            DateFmt::Mdy => d.format("%m/%d/%Y").to_string(),
            DateFmt::MonAbbr => d.format("%d-%b-%y").to_string(),
            DateFmt::Ordinal => format!("{}{} {}", d.day(), ordinal(d.day()), d.format("%B %Y")),
            DateFmt::SerialText => serial.to_string(),
            DateFmt::DateCell => return Cell::D(d),
            DateFmt::NumberCell => return Cell::N(serial as f64),
        };
        Cell::S(self.digits(s))
    }

    fn amount(&mut self, a: i64) -> Cell {
        let fmt = self
            .style
            .amounts
            .choose_weighted(&mut self.rng, |x| x.1)
            .expect("non-empty")
            .0;
        let lakh = a as f64 / 100_000.0;
        let s = match fmt {
            AmountFmt::Plain => a.to_string(),
            AmountFmt::Rs => format!("Rs. {}/-", tafteesh_parsers::amounts::indian_grouping(a)),
            AmountFmt::Rupee => format!("₹{}", tafteesh_parsers::amounts::indian_grouping(a)),
            AmountFmt::Lakh if a % 1000 == 0 && a >= 10_000 => format!("{} lakh", trim_float(lakh)),
            AmountFmt::Lac if a % 1000 == 0 && a >= 10_000 => format!("{} lac", trim_float(lakh)),
            AmountFmt::Inr => format!("INR {a}"),
            AmountFmt::NumberCell => return Cell::N(a as f64),
            AmountFmt::Lakh | AmountFmt::Lac => a.to_string(),
        };
        Cell::S(self.digits(s))
    }

    fn sections(&mut self, items: &[(&'static str, &'static str)]) -> String {
        let mut acts: Vec<&str> = items.iter().map(|(a, _)| *a).collect();
        acts.dedup();
        let group = |act: &str| {
            items
                .iter()
                .filter(|(a, _)| *a == act)
                .map(|(_, s)| *s)
                .collect::<Vec<_>>()
        };
        let style = self.rng.random_range(0..4);
        let parts: Vec<String> = acts
            .iter()
            .map(|act| {
                let secs = group(act);
                let label = match *act {
                    "ITPA" => *["ITPA", "IT(P) Act", "PITA"].choose(&mut self.rng).expect("non-empty"),
                    "POCSO" => *["POCSO", "POCSO Act"].choose(&mut self.rng).expect("non-empty"),
                    a => a,
                };
                match style {
                    0 => format!("u/s {} {label}", secs.join("/")),
                    1 => format!("{label} {}", secs.join(", ")),
                    2 => format!("Sec {} {label}", secs.join("/")),
                    _ => format!("{} {label}", secs.join(", ")),
                }
            })
            .collect();
        parts.join(if style == 1 { " and " } else { " & " })
    }

    fn name(&mut self, given: (&str, &str), surname: (&str, &str), guardian: bool, female: bool) -> String {
        let s = self.style;
        if self.rng.random_bool(s.bengali) {
            return format!("{} {}", given.1, surname.1);
        }
        let variant = |w: &str, rng: &mut ChaCha8Rng| -> String {
            match VARIANTS.iter().find(|(k, _)| *k == w) {
                Some((_, vs)) if rng.random_bool(s.name_variant) => vs.choose(rng).expect("non-empty").to_string(),
                _ => w.to_string(),
            }
        };
        let g = variant(given.0, &mut self.rng);
        let f = variant(surname.0, &mut self.rng);
        let mut out = if self.rng.random_bool(s.swap) {
            format!("{f} {g}")
        } else {
            format!("{g} {f}")
        };
        if self.rng.random_bool(s.honorific) {
            let prefix = if guardian {
                "D/o"
            } else if female {
                ["Smt.", "Kumari", "Mst."].choose(&mut self.rng).expect("non-empty")
            } else {
                "Sri"
            };
            out = format!("{prefix} {out}");
        }
        if s.upper { out.to_uppercase() } else { out }
    }
}

struct Refs {
    survivor: String,
    case: Option<String>,
    claim: Option<String>,
}

fn true_value(table: &str, col: &str, p: &Person, c: Option<&Case>, cl: Option<&Claim>, r: &Refs) -> Option<V> {
    let s = |x: &str| Some(V::S(x.to_string()));
    let d = |x: Option<NaiveDate>| x.map(V::D);
    match (table, col) {
        (_, "survivor_ref") => s(&r.survivor),
        ("survivors", "full_name") => Some(V::Name {
            given: p.given,
            surname: p.surname,
            guardian: false,
            female: p.sex != "male",
        }),
        ("survivors", "guardian_name") => Some(V::Name {
            given: p.guardian.0,
            surname: p.guardian.1,
            guardian: true,
            female: false,
        }),
        ("survivors", "phone") => p.phone.as_deref().and_then(s),
        ("survivors", "village") => s(p.village),
        ("survivors", "sex") => s(p.sex),
        ("survivors", "date_of_birth") => d(p.dob),
        ("survivors", "age_years") => Some(V::I(p.age_at_rescue)),
        ("survivors", "minor_at_rescue") => Some(V::B(p.age_at_rescue < 18)),
        ("survivors", "home_district") => s(p.district),
        ("survivors", "home_block") => s(p.block),
        ("survivors", "trafficking_form") => s(p.form),
        ("survivors", "destination_state") => s(p.destination),
        ("survivors", "rescue_date") => d(Some(p.rescue)),
        ("survivors", "registered_date") => d(Some(p.registered)),
        ("survivors", "legal_representation") => s(p.legal),
        ("survivors", "collective_member") => Some(V::B(p.collective)),
        ("cases", col) => {
            let c = c?;
            match col {
                "case_ref" => r.case.as_deref().and_then(s),
                "fir_number" => s(&c.fir_number),
                "fir_date" => d(Some(c.fir_date)),
                "police_station" => s(&c.police_station),
                "police_district" => c.police_district.and_then(s),
                "district" => c.district.and_then(s),
                "state" => s(c.state),
                "sections" => Some(V::Sections(c.sections.clone())),
                "investigating_agency" => s(c.agency),
                "ahtu_unit" => c.ahtu_unit.and_then(s),
                "ahtu_transfer_date" => d(c.ahtu_date),
                "cid_transfer_date" => d(c.cid_date),
                "chargesheet_date" => d(c.chargesheet),
                "final_report_date" => d(c.final_report),
                "outcome" => s(c.outcome),
                "judgment_date" => d(c.judgment),
                "accused_count" => Some(V::I(c.accused)),
                "accused_arrested" => Some(V::I(c.arrested)),
                _ => None,
            }
        }
        ("compensation_claims", col) => {
            let cl = cl?;
            match col {
                "claim_ref" => r.claim.as_deref().and_then(s),
                "case_ref" => r.case.as_deref().and_then(s),
                "scheme" => s(cl.scheme),
                "forum" => s(cl.forum),
                "application_date" => d(Some(cl.application)),
                "filed_with_legal_aid" => Some(V::B(cl.legal_aid)),
                "interim_amount_inr" => cl.interim.map(|x| V::I(x.0)),
                "interim_date" => d(cl.interim.map(|x| x.1)),
                "awarded_amount_inr" => cl.award.map(|x| V::I(x.0)),
                "award_date" => d(cl.award.map(|x| x.1)),
                "status" => s(cl.status),
                "disbursed_amount_inr" => cl.disbursed.map(|x| V::I(x.0)),
                "disbursed_date" => d(cl.disbursed.map(|x| x.1)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_trafficking(items: &[(&str, &str)]) -> bool {
    items.iter().any(|(a, s)| match *a {
        "IPC" => ["366A", "366B", "370", "370A", "372", "373"].contains(s),
        "BNS" => ["96", "141", "143", "144", "98", "99"].contains(s),
        "ITPA" => ["3", "4", "5", "6", "7", "8"].contains(s),
        _ => false,
    })
}

/// Unrecoverable values a data-entry mistake leaves, by type.
fn junk_for(ty: ColumnType, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let pool: &[&str] = match ty {
        ColumnType::Date => &["31/02/2021", "not known", "00/00/0000", "??"],
        ColumnType::AmountInr => &["pending", "NA", "to be paid"],
        ColumnType::Integer => &["NA", "unknown"],
        ColumnType::Boolean => &["maybe", "?"],
        ColumnType::Enum => &["??", "xx"],
        ColumnType::Phone => &["12345", "033 2555 1234", "not available"],
        ColumnType::Sections => &["370/372", "N/A"],
        _ => return None,
    };
    pool.choose(rng).copied()
}

fn ordinal(d: u32) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::S(s) => s.clone(),
        Cell::N(n) => format!("{n:.0}"),
        Cell::D(d) => d.format("%d/%m/%Y").to_string(),
    }
}

fn write_csv(path: &Path, style: &Style, sheet: &Sheet<'_>) -> Result<()> {
    let src = sheet.source;
    let mut w = csv::WriterBuilder::new()
        .delimiter(src.delimiter_byte().unwrap_or(b','))
        .terminator(if style.bom_crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::io(path)(e.into());
    w.write_record(&sheet.headers).map_err(io)?;
    for r in &sheet.rows {
        w.write_record(r.iter().map(cell_text)).map_err(io)?;
    }
    let text = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    let mut bytes = Vec::new();
    if style.bom_crlf {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if src.encoding == crate::config::pipeline::Encoding::Windows1252 {
        let s = String::from_utf8(text).map_err(|e| Error::Internal(e.to_string()))?;
        bytes.extend_from_slice(&encoding_rs::WINDOWS_1252.encode(&s).0);
    } else {
        bytes.extend(text);
    }
    std::fs::write(path, bytes).map_err(Error::io(path))
}

fn write_xlsx(path: &Path, sheets: &[Sheet<'_>]) -> Result<()> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for sheet in sheets {
        let src = sheet.source;
        let ws = wb.add_worksheet();
        ws.set_name(src.sheet.as_deref().unwrap_or("Sheet1")).map_err(x)?;
        let top = (src.header_row - 1) as u32;
        if top > 0 {
            ws.write_string(0, 0, format!("{} — {}", src.name, "register"))
                .map_err(x)?;
        }
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string(top, c as u16, h.as_str()).map_err(x)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let rn = top + 1 + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::S(s) if s.is_empty() => {}
                    Cell::S(s) => {
                        ws.write_string(rn, c, s.as_str()).map_err(x)?;
                    }
                    Cell::N(n) => {
                        ws.write_number(rn, c, *n).map_err(x)?;
                    }
                    Cell::D(d) => {
                        let dt =
                            rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                                .map_err(x)?;
                        ws.write_datetime_with_format(rn, c, &dt, &date_fmt).map_err(x)?;
                    }
                }
            }
        }
    }
    wb.save(path).map_err(x)
}

fn write_truth(path: &Path, rows: &[TruthRow]) -> Result<()> {
    let mut cols: Vec<String> = rows.iter().flat_map(|r| r.values.keys().cloned()).collect();
    cols.sort();
    cols.dedup();
    let lead = [
        "partner_id",
        "true_ref",
        "expected_status",
        "person_id",
        "case_id",
        "claim_id",
        "corrupt_fields",
    ];
    let mut order: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
    order.extend(cols.into_iter().filter(|c| !lead.contains(&c.as_str())));
    let io = |e: csv::Error| Error::io(path)(e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(&order).map_err(io)?;
    for r in rows {
        w.write_record(order.iter().map(|c| r.values.get(c).map(String::as_str).unwrap_or("")))
            .map_err(io)?;
    }
    w.flush().map_err(Error::io(path))
}
