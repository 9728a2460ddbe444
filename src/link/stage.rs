//! The linkage stage of a run: survivors from the lake (dates, districts,
//! their references' pseudonyms) joined to their plaintext identifiers and
//! blocks as written from the restricted area, linked,
//! and the bridge from every source record to its person written to the
//! lake as `link_survivors` (keys, ids and weights; no plaintext). The
//! trained model goes to the restricted area beside the inputs, since its
//! term frequencies are derived from names.

use foldhash::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::entities::PersonKeys;
use crate::build_id::BUILD_ID;
use crate::error::{Error, Result};
use crate::lake::{self, borrowed, dates, ints, partner_files, read, text_column};
use crate::layout::RestrictedDir;
use crate::privacy::Pseudonymizer;
use tafteesh_linkage::Person;
use tafteesh_linkage::names::NameKey;
use tafteesh_linkage::state::{self, Decision, Digest, Lineage, State, digest};
use tafteesh_linkage::{Linked, Settings, link_reporting};

/// The figures a run reports for linkage.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LinkSummary {
    pub records: usize,
    pub people: usize,
    pub pairs_compared: usize,
    pub new_pairs_by_rule: Vec<(String, usize)>,
    pub skipped_blocks_by_rule: Vec<(String, usize)>,
    pub em_iterations: usize,
    pub lambda: f64,
    pub cases: super::entities::EntitySummary,
    pub claims: super::entities::EntitySummary,
    /// `trained` or `reused` (see [`super::state`]), and why.
    pub model: String,
    pub model_reason: String,
    /// Pairs compared and scored on this run; the rest kept their weight.
    pub pairs_scored: usize,
    /// Survivor records added, removed or edited since the last night
    /// (known when the model was reused).
    pub records_changed: Option<usize>,
}

/// How a run's linkage went, for its summary and ledger line: whether the
/// model was trained or reused and why, and how many pairs it scored.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinkageRun {
    pub model: String,
    pub reason: String,
    pub records: usize,
    pub pairs: usize,
    pub pairs_scored: usize,
    pub records_changed: Option<usize>,
}

impl LinkSummary {
    pub fn run(&self) -> LinkageRun {
        LinkageRun {
            model: self.model.clone(),
            reason: self.model_reason.clone(),
            records: self.records,
            pairs: self.pairs_compared,
            pairs_scored: self.pairs_scored,
            records_changed: self.records_changed,
        }
    }
}

/// What a run lets linkage reuse from the state the last night left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Nothing: train the model (`--retrain`).
    Nothing,
    /// The model, while the drift rule allows; every pair compared (`--force`).
    Model,
    /// The model, and the weights of pairs of unchanged records.
    ModelAndWeights,
}

/// Save the settings, the trained model and the blocking report as JSON.
/// Restricted: the model is trained on names.
pub fn save_model(path: &Path, settings: &Settings, linked: &Linked) -> Result<()> {
    let json = serde_json::json!({ "settings": settings, "model": linked.model, "blocking": linked.blocking });
    std::fs::write(path, serde_json::to_vec_pretty(&json).expect("serialisable")).map_err(Error::io(path))
}

/// One survivor record's identity in the bridge.
pub struct Record {
    pub partner_id: String,
    pub survivor_ref: String,
    pub source_file: String,
    pub source_row: i64,
    /// The record's partner and own id and every value linkage reads of
    /// it, digested (not its file or row, which a re-export moves): what
    /// tells a changed record from an unchanged one (see [`super::state`]).
    pub digest: Digest,
}

/// Every partner's survivors and their identifiers.
pub struct Loaded {
    /// The partners, in the order their records are numbered (a record's
    /// `source` is its partner's place here).
    pub partners: Vec<String>,
    pub records: Vec<Record>,
    pub people: Vec<Person>,
}

/// How tonight's model came about, for the summary and the next night's state.
struct Kept {
    /// An earlier run's model, not one trained tonight.
    reused: bool,
    reason: String,
    lineage: Lineage,
    records_changed: Option<usize>,
}

/// The linkage state's path in the restricted area being built, its folder made.
fn linkage_state_path(area: &RestrictedDir) -> Result<std::path::PathBuf> {
    crate::restricted::restricted_dir(&area.linkage())?;
    Ok(area.linkage_state())
}

/// Read every partner's survivors and their identifiers, each with the
/// case `case_of` says it is attached to (relational evidence: see
/// [`super::cases::CaseRecords::of_survivors`]).
pub fn load(lake: &Path, restricted: &RestrictedDir, case_of: &PersonKeys) -> Result<Loaded> {
    let mut records = Vec::new();
    let mut people = Vec::new();
    let mut partners = Vec::new();
    for (source, (partner, path)) in partner_files(lake, "survivors")?.into_iter().enumerate() {
        let source = source as u32;
        partners.push(partner.clone());
        let cases = case_of.get(&partner);
        let lake_df = read(&path)?;
        let plain_path = restricted.linkage_file(&partner, "survivors");
        let plain_df = if plain_path.exists() {
            Some(read(&plain_path)?)
        } else {
            None
        };
        // The identifiers and the lake's values are borrowed from the
        // frames, not copied into a string each (at a million records,
        // fifteen million strings made and freed); a Person copies only
        // what it keeps.
        let plain_height = plain_df.as_ref().map_or(0, |df| df.height());
        let plain_text = |name: &str| plain_df.as_ref().and_then(|df| text_column(df, name));
        // The block as written: the lake publishes only a block its list
        // knows (then linkage compares the list's name, so `Canning-1` and
        // `ক্যানিং ১` agree), and linkage compares what the partner wrote
        // where it does not (a FEBRL postcode mapped to it, a block the
        // list lacks).
        let plain_cols = [
            "source_file",
            "full_name",
            "guardian_name",
            "phone",
            "village",
            "other_identifier",
            "home_block",
            "home_address",
        ]
        .map(plain_text);
        let [
            plain_files,
            names,
            guardians,
            phones,
            villages,
            identifiers,
            blocks,
            addresses,
        ] = plain_cols.each_ref().map(|c| borrowed(c, plain_height));
        let plain_rows = plain_df.as_ref().map(|df| ints(df, "source_row")).unwrap_or_default();
        let plain: HashMap<(&str, i64), usize> = plain_files
            .iter()
            .zip(&plain_rows)
            .enumerate()
            .filter_map(|(i, (f, r))| Some(((f.as_ref().copied()?, (*r)?), i)))
            .collect();
        let lake_cols =
            ["survivor_ref", "source_file", "home_district", "home_block"].map(|c| text_column(&lake_df, c));
        let [refs, files, district, known_block] = lake_cols.each_ref().map(|c| borrowed(c, lake_df.height()));
        let rows = ints(&lake_df, "source_row");
        let dob = dates(&lake_df, "date_of_birth");
        let rescue = dates(&lake_df, "rescue_date");
        let registered = dates(&lake_df, "registered_date");
        let age = ints(&lake_df, "age_years");
        // Row by row in parallel (preparing names is most of the cost), in
        // the lake's order.
        use rayon::prelude::*;
        let (mut rs, mut ps): (Vec<Record>, Vec<Person>) = (0..lake_df.height())
            .into_par_iter()
            .filter_map(|i| {
                let (Some(r), Some(f), Some(row)) = (refs[i], files[i], rows[i]) else {
                    return None;
                };
                let at = plain.get(&(f, row)).copied();
                let (name, guardian, phone, identifier, village, block, address) = (
                    pick(&names, at),
                    pick(&guardians, at),
                    pick(&phones, at),
                    pick(&identifiers, at),
                    pick(&villages, at),
                    pick(&blocks, at),
                    pick(&addresses, at),
                );
                // A name two districts share is listed with its district:
                // compared without it, as a partner writes it.
                let block = known_block[i].map(|b| b.split(" (").next().unwrap_or(b)).or(block);
                let case = cases.and_then(|c| c.get(r)).map(String::as_str);
                // The record's partner and own id, not where it stands in
                // the export: a partner's MIS that drops a submission or
                // names tonight's export afresh moves every later row, and
                // those records did not change (a &str hashes as the
                // String it was).
                let digest = digest(&(
                    (&partner, r),
                    (name, guardian, phone, identifier, village, address, case),
                    (dob[i], rescue[i], registered[i], age[i], district[i], block),
                ));
                let person = Person {
                    source,
                    guardian: guardian.and_then(NameKey::new),
                    phone: phone.map(str::to_string),
                    identifier: identifier.map(str::to_string),
                    village: village.map(str::to_string),
                    address: address.map(str::to_string),
                    case: case.map(str::to_string),
                    dob: dob[i],
                    birth_year: match (rescue[i], age[i]) {
                        (Some(d), Some(a)) => Some(chrono::Datelike::year(&d) - a as i32),
                        _ => None,
                    },
                    age: age[i].map(|a| a as i32),
                    district: district[i].map(str::to_string),
                    block: block.map(crate::privacy::normalise_place),
                    rescue: rescue[i],
                    registered: registered[i],
                    ..Person::default()
                }
                .with_name(name);
                let record = Record {
                    partner_id: partner.clone(),
                    survivor_ref: r.to_string(),
                    source_file: f.to_string(),
                    source_row: row,
                    digest,
                };
                Some((record, person))
            })
            .unzip();
        records.append(&mut rs);
        people.append(&mut ps);
    }
    Ok(Loaded {
        partners,
        records,
        people,
    })
}

/// The value at row `at` of a borrowed column, if there is a row and a value.
fn pick<'a>(column: &[Option<&'a str>], at: Option<usize>) -> Option<&'a str> {
    column.get(at?).copied().flatten()
}

/// Link the lake's survivors and write `lake/link_survivors/`, the model
/// (restricted) and `reports/linkage.html`.
pub fn run(
    lake: &Path,
    restricted: &RestrictedDir,
    reports: &Path,
    pseudo: &Pseudonymizer,
    settings: &Settings,
    run_id: &str,
    (reuse, previous): (Reuse, Option<&RestrictedDir>),
) -> Result<LinkSummary> {
    let started = std::time::Instant::now();
    let lap = |step: &str| tracing::debug!(step, seconds = started.elapsed().as_secs_f64(), "linkage stage");
    // The cases are read once: their grouping without people is evidence
    // for the survivors, and, with the people found, they are linked.
    let from = super::entities::Source { lake, restricted };
    let cases = super::cases::CaseRecords::read(&from)?;
    let Loaded {
        partners,
        records,
        people,
    } = load(lake, restricted, &cases.of_survivors(pseudo))?;
    lap("loaded");
    let digests: Vec<Digest> = records.iter().map(|r| r.digest).collect();
    let last_night = match (reuse, previous) {
        (Reuse::Nothing, _) => Err("the run asked for the model to be trained again (--retrain)".to_string()),
        (_, None) => Err("no linkage state belongs to the current snapshot".to_string()),
        (_, Some(area)) => State::read(&area.linkage_state()),
    };
    let decision = state::decide(last_night, settings, BUILD_ID, &partners, &digests);
    let (linked, kept) = link_or_relink(decision, &people, settings, run_id, reuse);
    lap("linked");
    let state_path = linkage_state_path(restricted)?;
    state::StateRef::new(&linked, settings, BUILD_ID, partners, digests, kept.lineage.clone())
        .write(&state_path)
        .map_err(Error::io(&state_path))?;
    if let Some(w) = linked.blocking.warning() {
        tracing::warn!("{w}");
    }
    lap("state saved");
    // The account of the linkage, values left out, beside the dashboard.
    let explained = tafteesh_linkage::explain::Explained::new(&linked, &people, settings);
    let page = if kept.reused {
        explained.reused(&kept.reason)
    } else {
        explained
    }
    .html(run_id);
    std::fs::create_dir_all(reports).map_err(Error::io(reports))?;
    let page_path = reports.join(crate::layout::reports::LINKAGE);
    std::fs::write(&page_path, page).map_err(Error::io(&page_path))?;
    lap("page written");
    let persons = Persons::of(&records, &linked, pseudo);
    let mut df = persons.bridge(&records, &linked)?;
    lap("explained");
    lake::write_consortium(&mut df, lake, "link_survivors")?;
    lap("bridge written");
    save_model(&crate::restricted::linkage_model(restricted, false)?, settings, &linked)?;
    lap("model saved");
    let summary = summary(&records, &persons, &linked, kept);
    // Cases and claims need only the person keys: free the survivors' pairs,
    // model and identifiers (on a large register, gigabytes in millions of
    // allocations) on another thread while the cases are linked.
    let freeing = std::thread::spawn(move || drop((linked, people, df, records)));
    let person_of = super::entities::person_keys(persons.ids, persons.keys);
    // Cases, then claims (which read the linked cases).
    let linked_cases = super::cases::link(cases, &from, pseudo, &person_of);
    // Joined before any error returns, so nothing outlives the stage.
    let _ = freeing.join();
    let (cases, case_of) = linked_cases?;
    lap("cases linked");
    let claims = super::claims::link(&from, pseudo, &person_of, &case_of)?;
    lap("claims linked");
    Ok(LinkSummary {
        cases,
        claims,
        ..summary
    })
}

/// Train the model and link, or link again with the model the last night
/// left (and its pairs' weights, when the run may keep them), as the state
/// decided.
fn link_or_relink(
    decision: Decision,
    people: &[Person],
    settings: &Settings,
    run_id: &str,
    reuse: Reuse,
) -> (Linked, Kept) {
    match decision {
        Decision::Train(reason) => {
            tracing::info!(reason = %reason, "training the linkage model");
            let kept = Kept {
                reused: false,
                reason,
                lineage: Lineage {
                    trained_in: run_id.to_string(),
                    records_at_training: people.len(),
                    changed_since_training: 0,
                },
                records_changed: None,
            };
            let bar = crate::progress::bar(tafteesh_linkage::PHASES as u64, "linkage");
            let linked = link_reporting(people, settings, |phase| {
                bar.set_message(phase.to_string());
                bar.inc(1);
            });
            bar.finish_and_clear();
            (linked, kept)
        }
        Decision::Reuse {
            trained,
            lineage,
            kept,
            changed,
        } => {
            let reason = format!(
                "trained in run {} on {} records; {} changed since ({changed} tonight), within retrain_after",
                lineage.trained_in, lineage.records_at_training, lineage.changed_since_training
            );
            tracing::info!(reason = %reason, "reusing the linkage model");
            let weights_kept = reuse == Reuse::ModelAndWeights;
            let linked = tafteesh_linkage::relink(people, settings, *trained, move |p| {
                weights_kept.then(|| kept.weight(p)).flatten()
            });
            let kept = Kept {
                reused: true,
                reason,
                lineage,
                records_changed: Some(changed),
            };
            (linked, kept)
        }
    }
}

/// The people the records make: the model's clusters, with the versions
/// of one partner's survivor_ref joined whatever the model said of them,
/// each under a stable key.
struct Persons {
    /// Per record: its partner and survivor_ref.
    ids: Vec<String>,
    /// Per record: its person's key.
    keys: Vec<String>,
    /// Per record: its person's label (a record index).
    cluster: Vec<u32>,
    /// Per label: how many records it holds.
    size: Vec<u32>,
}

impl Persons {
    fn of(records: &[Record], linked: &Linked, pseudo: &Pseudonymizer) -> Persons {
        let ids: Vec<String> = records
            .iter()
            .map(|r| format!("{}\u{1f}{}", r.partner_id, r.survivor_ref))
            .collect();
        let mut groups = tafteesh_linkage::union_find::UnionFind::new(ids.len());
        // A cluster's representative is one of its records: joining each
        // record to it joins the cluster, with no map of labels.
        for (i, &rep) in linked.cluster.iter().enumerate() {
            debug_assert_eq!(linked.cluster[rep as usize], rep, "a representative is its own");
            groups.union(i as u32, rep);
        }
        groups.union_by_key(ids.iter().map(Some));
        let cluster = groups.labels();
        let keys = tafteesh_linkage::stable_keys(&ids, &cluster, |anchor| {
            format!("P-{}", &pseudo.token("person", anchor)[..16])
        });
        // Labels are record indices: the people's sizes by label.
        let mut size = vec![0u32; cluster.len()];
        cluster.iter().for_each(|&c| size[c as usize] += 1);
        Persons {
            ids,
            keys,
            cluster,
            size,
        }
    }

    /// `link_survivors`: each record's person, and its strongest link.
    fn bridge(&self, records: &[Record], linked: &Linked) -> Result<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new(
                "partner_id".into(),
                records.iter().map(|r| r.partner_id.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "survivor_ref".into(),
                records.iter().map(|r| r.survivor_ref.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "source_file".into(),
                records.iter().map(|r| r.source_file.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "source_row".into(),
                records.iter().map(|r| r.source_row).collect::<Vec<_>>(),
            ),
            Column::new(
                "person_key".into(),
                self.keys.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
            Column::new(
                "records_in_person".into(),
                self.cluster
                    .iter()
                    .map(|&c| self.size[c as usize] as i64)
                    .collect::<Vec<_>>(),
            ),
            Column::new("best_match_weight".into(), linked.best_weight.clone()),
        ])
        .map_err(Error::frame("building link_survivors"))
    }
}

/// The survivors' linkage as the run records it (cases and claims added by
/// the caller).
fn summary(records: &[Record], persons: &Persons, linked: &Linked, kept: Kept) -> LinkSummary {
    LinkSummary {
        records: records.len(),
        people: persons.size.iter().filter(|&&n| n > 0).count(),
        pairs_compared: linked.blocking.pairs,
        new_pairs_by_rule: linked
            .blocking
            .rules
            .iter()
            .map(|r| (r.rule.clone(), r.new_pairs))
            .collect(),
        skipped_blocks_by_rule: linked
            .blocking
            .rules
            .iter()
            .map(|r| (r.rule.clone(), r.skipped_blocks))
            .collect(),
        em_iterations: linked.model.em_iterations,
        lambda: linked.model.lambda,
        model: if kept.reused { "reused" } else { "trained" }.to_string(),
        model_reason: kept.reason,
        pairs_scored: linked.compared,
        records_changed: kept.records_changed,
        ..LinkSummary::default()
    }
}
