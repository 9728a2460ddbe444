//! Record linkage: one survivor, however many partners recorded her.
//!
//! The same woman is registered by the NGO in her home district, by the
//! one that met her at the destination, by the lawyers and by her
//! collective, each with its own id and its own spelling of her name.
//! Counted per partner, she is four survivors. This stage finds her.
//!
//! - [`names`]: names prepared for comparison (transliteration, variants,
//!   token order, consonant skeletons).
//! - [`model`]: the Fellegi-Sunter model (comparisons and their levels, u
//!   from random pairs, m by expectation-maximisation, term-frequency
//!   adjustment for common names).
//! - here: blocking, scoring, clustering with a guard against chains, and
//!   stable person keys.
//! - [`eval`]: pairwise and B-cubed precision, recall and F1 against a truth file.
//!
//! It runs in the restricted stage on plaintext held in memory (read from
//! `restricted/.../linkage/`); what it writes to the lake is keys, ids and
//! match weights only.

pub mod eval;
pub mod model;
pub mod names;
pub mod stage;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use model::{Model, Person, compare, name_frequencies, weight_to_probability};

/// Linkage settings, declarative like splink's. The defaults are
/// `schemas/linkage/settings.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Each rule lists fields that must all be equal (and known) for a pair
    /// to be compared; the pairs compared are the union over the rules.
    /// Fields: name, guardian (consonant skeletons), phone, dob,
    /// birth_year, district, block, village, rescue_date.
    pub blocking: Vec<Vec<String>>,
    /// A block larger than this is skipped (and counted): such a key is too
    /// common to say anything, and would cost its size squared.
    pub max_block: usize,
    /// Pairs with a match probability at or above this are linked.
    pub link_probability: f64,
    /// Pairs compared and scored below this can never end in one cluster,
    /// whatever chain of other links joins them.
    pub cannot_link_probability: f64,
    /// Random pairs compared to estimate u.
    pub u_sample_pairs: usize,
    pub em_iterations: usize,
    /// The share of true matches the deterministic rules (same phone; same
    /// name and date of birth) are assumed to find, for the prior.
    pub deterministic_recall: f64,
}

pub const BLOCK_FIELDS: [&str; 9] = [
    "name",
    "guardian",
    "phone",
    "dob",
    "birth_year",
    "district",
    "block",
    "village",
    "rescue_date",
];

impl Settings {
    /// Problems with the settings; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for rule in &self.blocking {
            if rule.is_empty() {
                out.push("a blocking rule lists no field".to_string());
            }
            for f in rule.iter().filter(|f| !BLOCK_FIELDS.contains(&f.as_str())) {
                out.push(format!(
                    "blocking field `{f}` is not one of: {}",
                    BLOCK_FIELDS.join(", ")
                ));
            }
        }
        if !(0.0..1.0).contains(&self.cannot_link_probability)
            || !(0.0..=1.0).contains(&self.link_probability)
            || self.cannot_link_probability >= self.link_probability
        {
            out.push("probabilities must satisfy 0 <= cannot_link_probability < link_probability <= 1".into());
        }
        out
    }
}

fn block_value(p: &Person, field: &str) -> Option<String> {
    match field {
        "name" => p.name.as_ref().map(|n| n.skeleton.clone()),
        "guardian" => p.guardian.as_ref().map(|n| n.skeleton.clone()),
        "phone" => p.phone.clone(),
        "dob" => p.dob.map(|d| d.to_string()),
        "birth_year" => p
            .dob
            .map(|d| chrono::Datelike::year(&d))
            .or(p.birth_year)
            .map(|y| y.to_string()),
        "district" => p.district.clone(),
        "block" => p.block.clone(),
        "village" => p.village.clone(),
        "rescue_date" => p.rescue.map(|d| d.to_string()),
        _ => None,
    }
}

/// What blocking produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockingReport {
    /// Per rule (as written): pairs it created that no earlier rule had.
    pub new_pairs_by_rule: Vec<(String, usize)>,
    /// Blocks skipped for being larger than `max_block`, per rule.
    pub skipped_blocks_by_rule: Vec<(String, usize)>,
    pub pairs: usize,
}

/// The comparisons a blocking field forces to agree.
fn fixed_comparisons(rule: &[String]) -> Vec<usize> {
    let mut out: Vec<usize> = rule
        .iter()
        .filter_map(|f| match f.as_str() {
            "name" => Some(0),
            "guardian" => Some(1),
            "phone" => Some(2),
            "dob" | "birth_year" => Some(3),
            "district" => Some(4),
            "block" => Some(5),
            "village" => Some(6),
            "rescue_date" => Some(7),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The candidate pairs (i < j), sorted and unique.
pub fn block(people: &[Person], settings: &Settings) -> (Vec<(u32, u32)>, BlockingReport) {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut report = BlockingReport::default();
    for rule in &settings.blocking {
        let mut blocks: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            let key: Option<Vec<String>> = rule.iter().map(|f| block_value(p, f)).collect();
            if let Some(key) = key {
                blocks.entry(key.join("\u{1f}")).or_default().push(i as u32);
            }
        }
        let before = pairs.len();
        let mut skipped = 0;
        let mut fresh: Vec<(u32, u32)> = Vec::new();
        for members in blocks.values() {
            if members.len() > settings.max_block {
                skipped += 1;
                continue;
            }
            for (a, &i) in members.iter().enumerate() {
                for &j in &members[a + 1..] {
                    fresh.push((i.min(j), i.max(j)));
                }
            }
        }
        pairs.extend(fresh);
        pairs.sort_unstable();
        pairs.dedup();
        let label = rule.join(" + ");
        report.new_pairs_by_rule.push((label.clone(), pairs.len() - before));
        report.skipped_blocks_by_rule.push((label, skipped));
    }
    report.pairs = pairs.len();
    (pairs, report)
}

/// One scored pair.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
}

/// Clusters from scored pairs: links taken strongest first, each joining two
/// clusters only if no pair across them was scored as a cannot-link. A weak
/// link therefore cannot chain two people together when any pair of their
/// records clearly disagrees (two sisters with one guardian, one village).
/// Returns each record's cluster (a representative index).
pub fn cluster(n: usize, scored: &[Scored], settings: &Settings) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    let mut cannot: HashMap<u32, Vec<u32>> = HashMap::new();
    for s in scored {
        if weight_to_probability(s.weight) < settings.cannot_link_probability {
            cannot.entry(s.a).or_default().push(s.b);
            cannot.entry(s.b).or_default().push(s.a);
        }
    }
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    let mut links: Vec<&Scored> = scored
        .iter()
        .filter(|s| weight_to_probability(s.weight) >= settings.link_probability)
        .collect();
    links.sort_by(|x, y| y.weight.total_cmp(&x.weight).then((x.a, x.b).cmp(&(y.a, y.b))));
    for s in links {
        let (ra, rb) = (find(&mut parent, s.a), find(&mut parent, s.b));
        if ra == rb {
            continue;
        }
        let (small, big) = if members[ra as usize].len() <= members[rb as usize].len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let blocked = members[small as usize].clone().into_iter().any(|x| {
            cannot
                .get(&x)
                .is_some_and(|ys| ys.iter().any(|&y| find(&mut parent, y) == big))
        });
        if blocked {
            continue;
        }
        parent[small as usize] = big;
        let moved = std::mem::take(&mut members[small as usize]);
        members[big as usize].extend(moved);
    }
    (0..n as u32).map(|i| find(&mut parent, i)).collect()
}

/// The result of linking a set of records.
#[derive(Debug, Clone)]
pub struct Linked {
    /// Per record: its cluster's representative index.
    pub cluster: Vec<u32>,
    /// Per record: the strongest link weight to another record of its
    /// cluster (None for a record alone).
    pub best_weight: Vec<Option<f64>>,
    pub model: Model,
    pub blocking: BlockingReport,
    /// Match weights of every compared pair, for the distribution.
    pub weights: Vec<f64>,
}

/// Train the model on `people` and link them.
pub fn link(people: &[Person], settings: &Settings) -> Linked {
    let (pairs, blocking) = block(people, settings);
    let u = Model::estimate_u(people, settings.u_sample_pairs, 0x7a_f7ee_5a);
    let levels: Vec<[Option<u8>; 8]> = {
        use rayon::prelude::*;
        pairs
            .par_iter()
            .map(|&(a, b)| compare(&people[a as usize], &people[b as usize]))
            .collect()
    };
    // Training sessions: the pairs each rule created (first rule wins).
    let mut first_rule: HashMap<(u32, u32), usize> = HashMap::new();
    for (r, rule) in settings.blocking.iter().enumerate() {
        let (rule_pairs, _) = block(
            people,
            &Settings {
                blocking: vec![rule.clone()],
                ..settings.clone()
            },
        );
        for p in rule_pairs {
            first_rule.entry(p).or_insert(r);
        }
    }
    let mut sessions: Vec<(Vec<usize>, Vec<usize>)> = settings
        .blocking
        .iter()
        .map(|rule| (fixed_comparisons(rule), Vec::new()))
        .collect();
    for (i, p) in pairs.iter().enumerate() {
        if let Some(&r) = first_rule.get(p) {
            sessions[r].1.push(i);
        }
    }
    // The prior, as splink estimates it: pairs a strict deterministic rule
    // calls matches (same phone, or same name and same date of birth), over
    // all possible pairs, divided by that rule's assumed recall.
    let sure = levels
        .iter()
        .filter(|lv| lv[2] == Some(0) || (lv[0].is_some_and(|l| l <= 1) && lv[3] == Some(0)))
        .count() as f64;
    let n = people.len() as f64;
    let all_pairs = (n * (n - 1.0) / 2.0).max(1.0);
    let prior = (sure / settings.deterministic_recall / all_pairs).max(1.0 / all_pairs);
    let mut model = Model::train(&levels, &sessions, u, prior, settings.em_iterations);
    model.u_sample_pairs = settings.u_sample_pairs;
    let tf = name_frequencies(people);
    let scored: Vec<Scored> = pairs
        .iter()
        .zip(&levels)
        .map(|(&(a, b), lv)| {
            let tf_name = people[a as usize]
                .name
                .as_ref()
                .and_then(|n| tf.get(&n.canonical))
                .copied();
            Scored {
                a,
                b,
                weight: model.weight(lv, tf_name),
            }
        })
        .collect();
    let cluster_of = cluster(people.len(), &scored, settings);
    let mut best_weight: Vec<Option<f64>> = vec![None; people.len()];
    for s in &scored {
        if cluster_of[s.a as usize] == cluster_of[s.b as usize] {
            for i in [s.a, s.b] {
                let w = &mut best_weight[i as usize];
                *w = Some(w.map_or(s.weight, |x: f64| x.max(s.weight)));
            }
        }
    }
    Linked {
        cluster: cluster_of,
        best_weight,
        model,
        blocking,
        weights: scored.iter().map(|s| s.weight).collect(),
    }
}

/// Stable keys: a cluster's key is made from its *anchor*, the smallest
/// record id (`partner_id`, then the partner's own id, in byte order) among
/// its members. The key therefore stays the same from one night to the next
/// unless the cluster's membership changes its anchor: when two clusters
/// merge, the merged one keeps the key of the cluster holding the smaller
/// anchor (the other key retires); when a cluster splits, the part holding
/// the anchor keeps the key and every other part gets the key of its own
/// smallest record. `keyed(anchor)` turns an anchor into the published key
/// (a keyed hash, so the key does not reveal the partner's id).
pub fn stable_keys(record_ids: &[String], cluster: &[u32], keyed: impl Fn(&str) -> String) -> Vec<String> {
    let mut anchor: HashMap<u32, &str> = HashMap::new();
    for (id, c) in record_ids.iter().zip(cluster) {
        let a = anchor.entry(*c).or_insert(id.as_str());
        if id.as_str() < *a {
            *a = id.as_str();
        }
    }
    let mut keys: HashMap<u32, String> = HashMap::new();
    cluster
        .iter()
        .map(|c| keys.entry(*c).or_insert_with(|| keyed(anchor[c])).clone())
        .collect()
}
