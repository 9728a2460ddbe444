//! `tafteesh synth`: deterministic demo exports from 9 fictional partners,
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

mod cells;
mod files;
pub mod names;
mod notation;
mod programme;
mod records;
mod styles;
mod truth;
pub mod world;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::pipeline::{Format, PARENT_PREFIX, Pipeline, Source};
use crate::config::reference::{KnownEntry, KnownFile, PlacesFile, RegionsFile};
use crate::config::schema::{ColumnType, TableSchema};
use crate::config::{DEMO_PIPELINES_DIR, Model};
use crate::error::{Error, Result};
use names::VARIANTS;
use world::{Case, Claim, Person, World};

use files::*;
use notation::*;
use records::*;
use styles::*;
use truth::*;

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

/// Write DIR/config with the demo pipelines and a key; return the config folder.
pub fn set_up_config(dir: &Path) -> Result<PathBuf> {
    let config = dir.join("config");
    let pipelines = config.join("pipelines");
    std::fs::create_dir_all(&pipelines).map_err(Error::io(&pipelines))?;
    for f in DEMO_PIPELINES_DIR.files() {
        let path = pipelines.join(f.path());
        std::fs::write(&path, f.contents()).map_err(Error::io(&path))?;
    }
    let toml = "# tafteesh demo configuration. Paths are relative to this file.\n\
                inbox = \"../inbox\"\n\
                output = \"../output\"\n\
                pipelines = \"pipelines\"\n\
                key_file = \"../restricted/pseudonym.key\"\n";
    let path = config.join(crate::config::CONFIG_FILE);
    std::fs::write(&path, toml).map_err(Error::io(&path))?;
    let path = config.join(crate::config::REFERENCE_FILE);
    std::fs::write(&path, programme::demo_reference_toml()).map_err(Error::io(&path))?;
    let key = crate::restricted::restricted_dir(&dir.join("restricted"))?.join("pseudonym.key");
    if !key.exists() {
        crate::restricted::write_new_key(&key)?;
    }
    Ok(config)
}

/// Generate `n` people and the partners' exports into `out/inbox`, with the truth in `out/truth`.
pub fn generate(n: usize, seed: u64, out: &Path) -> Result<SynthSummary> {
    let model = Model::load()?;
    let places: PlacesFile = crate::config::parse_embedded("reference/places.toml")?;
    let india: RegionsFile = crate::config::parse_embedded("reference/india.toml")?;
    let mut known = KnownFile::default();
    for file in ["blocks", "police_stations", "schemes", "gram_panchayats"] {
        let f: KnownFile = crate::config::parse_embedded(&format!("reference/{file}.toml"))?;
        known.block.extend(f.block);
        known.police_station.extend(f.police_station);
        known.scheme.extend(f.scheme);
        known.gram_panchayat.extend(f.gram_panchayat);
    }
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
            india: &india,
            known: &known,
            world: &world,
            rng: ChaCha8Rng::seed_from_u64(seed ^ hash_str(style.partner)),
            notation_rng: ChaCha8Rng::seed_from_u64(seed ^ hash_str(style.partner) ^ 0x6b6e_6f77_6e5f_7631),
            parents: HashMap::new(),
            keep_parents: pipeline.sources.iter().any(|s| s.parent.is_some()),
            date_format: None,
        };
        let held = &assignment[style.partner];
        // Every source of the partner (sheets of one workbook share a file).
        let mut sheets: Vec<Sheet<'_>> = Vec::new();
        // The programme's other registers are written by `programme`,
        // from their own layouts, not from the config.
        for source in pipeline
            .sources
            .iter()
            .filter(|s| !s.tables.keys().any(|t| programme::TABLES.contains(&t.as_str())))
        {
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
    programme::write(&world, &assignment, &known.block, seed, &inbox, &mut truth, &mut files)?;
    for (table, rows) in &truth {
        write_truth(&truth_dir.join(format!("{table}.csv")), rows)?;
    }
    write_entities(&truth_dir.join("entities.csv"), &truth)?;
    Ok(SynthSummary {
        people: world.people.len(),
        cases: world.cases.len(),
        claims: world.claims.len(),
        inbox,
        truth: truth_dir,
        files,
    })
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
    // Partners added after the first demo draw from their own stream, so
    // the first eight hold what they held before.
    let mut more = rng.clone();
    more.set_stream(0x0f_1915);
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
        // The Jharkhand partner receives the survivors who return to
        // Jharkhand or Bihar, and follows a few West Bengal ones.
        let origin = p
            .origin
            .and_then(|o| world::ORIGINS.iter().find(|x| x.0 == o))
            .map(|x| x.1);
        let back_home = matches!(origin, Some("Jharkhand" | "Bihar"));
        if more.random_bool(if back_home { 0.85 } else { 0.02 }) {
            holders.push("jharkhand_kobo");
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
