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

pub mod blocking;
pub mod cases;
pub mod claims;
pub mod cluster;
pub mod entities;
pub mod eval;
pub mod fields;
pub mod model;
pub mod names;
pub mod person;
pub mod stage;
pub mod union_find;

use std::collections::HashMap;

pub use crate::config::linkage::Settings;
pub use blocking::{BlockingReport, Pair, block};
pub use cluster::{Scored, cluster};
use fields::{BIRTH, IDENTIFIER, Levels, NAME, PHONE, compare, fixed_by};
use model::{Model, Person, name_frequencies};

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
    let (pairs, per_rule, blocking) = block(people, settings);
    let u = Model::estimate_u(people, settings.u_sample_pairs, 0x7af7_ee5a);
    let levels: Vec<Levels> = {
        use rayon::prelude::*;
        pairs
            .par_iter()
            .map(|&(a, b)| compare(&people[a as usize], &people[b as usize]))
            .collect()
    };
    // Training sessions, one per rule, each on every pair that rule
    // creates (not only those no earlier rule created: the later rules'
    // leftovers are mostly non-matches, and EM would learn the wrong class).
    let sessions: Vec<(Vec<usize>, Vec<usize>)> = settings
        .blocking
        .iter()
        .zip(&per_rule)
        .map(|(rule, own)| {
            let idx = own.iter().filter_map(|p| pairs.binary_search(p).ok()).collect();
            (fixed_by(rule), idx)
        })
        .collect();
    // The prior, as splink estimates it: pairs a strict deterministic rule
    // calls matches (same phone, same other identifier, or same name and
    // same date of birth), over
    // all possible pairs, divided by that rule's assumed recall.
    let sure = levels
        .iter()
        .filter(|lv| {
            lv[PHONE] == Some(0)
                || lv[IDENTIFIER] == Some(0)
                || (lv[NAME].is_some_and(|l| l <= 1) && lv[BIRTH] == Some(0))
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::names::NameKey;
    use chrono::NaiveDate;

    fn settings() -> Settings {
        crate::config::parse_embedded("linkage/settings.toml").unwrap()
    }

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    /// A person as a partner recorded her.
    fn rec(name: &str, guardian: &str, dob: &str, district: &str, village: &str, rescue: &str) -> Person {
        Person {
            name: NameKey::new(name),
            guardian: NameKey::new(guardian),
            phone: None,
            identifier: None,
            village: (!village.is_empty()).then(|| village.to_lowercase()),
            dob: d(dob),
            birth_year: None,
            district: (!district.is_empty()).then(|| district.to_string()),
            block: None,
            rescue: d(rescue),
        }
    }

    /// A background population for the model to learn from: 600 fictional
    /// people, each recorded by one to three partners, with spelling noise.
    fn population() -> Vec<Person> {
        let given = [
            "Rahima", "Salma", "Fatema", "Ayesha", "Rupa", "Mita", "Puja", "Rina", "Sabina", "Nasima", "Mousumi",
            "Sonali", "Tumpa", "Laxmi", "Parvin", "Shapla", "Rekha", "Anjali", "Champa", "Rumana",
        ];
        let surname = [
            "Khatun", "Bibi", "Mondal", "Das", "Roy", "Naskar", "Halder", "Biswas", "Molla", "Gazi", "Sardar", "Ghosh",
        ];
        let fathers = [
            "Abdul", "Rahim", "Karim", "Jalal", "Gopal", "Haru", "Tapan", "Samir", "Nikhil", "Dilip",
        ];
        let villages = [
            "Kalitala",
            "Matla",
            "Harinbari",
            "Kumirmari",
            "Chowrasi",
            "Bishnupur",
            "Atghara",
        ];
        let districts = ["North 24 Parganas", "South 24 Parganas", "Nadia", "Murshidabad"];
        let variant = |s: &str, k: usize| match (s, k % 3) {
            ("Khatun", 1) => "Khatoon".to_string(),
            ("Mondal", 1) => "Mandal".to_string(),
            ("Das", 2) => "Dass".to_string(),
            (s, 2) => s.to_uppercase(),
            (s, _) => s.to_string(),
        };
        let mut out = Vec::new();
        let mut x: u64 = 12345;
        let mut next = |m: usize| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) as usize) % m
        };
        for _ in 0..600 {
            let (g, s, f) = (given[next(20)], surname[next(12)], fathers[next(10)]);
            let (v, dist) = (villages[next(7)], districts[next(4)]);
            let dob = format!("{}-{:02}-{:02}", 1985 + next(20), 1 + next(12), 1 + next(28));
            let rescue = format!("{}-{:02}-{:02}", 2016 + next(8), 1 + next(12), 1 + next(28));
            for k in 0..1 + next(3) {
                let name = format!("{} {}", variant(g, k), variant(s, k));
                let guardian = format!("{} {}", variant(f, k), variant(s, k + 1));
                let dob = if k == 1 { "" } else { dob.as_str() };
                out.push(rec(&name, &guardian, dob, dist, v, &rescue));
            }
        }
        out
    }

    fn together(linked: &Linked, a: usize, b: usize) -> bool {
        linked.cluster[a] == linked.cluster[b]
    }

    /// Link the background population with `extra` appended; returns the
    /// result and the index of the first extra record.
    fn link_with(extra: Vec<Person>) -> (Linked, usize) {
        let mut people = population();
        let first = people.len();
        people.extend(extra);
        (link(&people, &settings()), first)
    }

    #[test]
    fn one_survivor_spelled_three_ways_by_three_partners_is_one_person() {
        let (linked, first) = link_with(vec![
            rec(
                "Rahima Khatun",
                "Abdul Sk",
                "1999-03-04",
                "Nadia",
                "Ranaghat",
                "2021-06-01",
            ),
            rec(
                "KHATOON RAHIMA",
                "Sheikh Abdul",
                "1999-03-04",
                "Nadia",
                "RANAGHAT",
                "2021-06-01",
            ),
            rec("রহিমা খাতুন", "আব্দুল শেখ", "", "Nadia", "ranaghat", "2021-06-01"),
        ]);
        assert!(together(&linked, first, first + 1), "Latin spellings, swapped order");
        assert!(together(&linked, first, first + 2), "Bengali script");
    }

    #[test]
    fn two_sisters_with_one_guardian_and_village_stay_two_people() {
        let (linked, first) = link_with(vec![
            rec(
                "Salma Khatun",
                "Jalal Molla",
                "2001-02-10",
                "Nadia",
                "Ranaghat",
                "2020-01-15",
            ),
            rec(
                "Salma Khatoon",
                "Jalal Molla",
                "2001-02-10",
                "Nadia",
                "Ranaghat",
                "2020-01-15",
            ),
            rec(
                "Rumana Khatun",
                "Jalal Molla",
                "2003-09-22",
                "Nadia",
                "Ranaghat",
                "2020-01-15",
            ),
        ]);
        assert!(together(&linked, first, first + 1), "the same sister, twice");
        assert!(!together(&linked, first, first + 2), "the other sister");
        assert!(!together(&linked, first + 1, first + 2));
    }

    #[test]
    fn a_common_name_in_one_district_does_not_merge_on_name_alone() {
        let (linked, first) = link_with(vec![
            rec("Puja Das", "Gopal Das", "1998-04-04", "Nadia", "Ranaghat", "2019-05-05"),
            rec("Puja Das", "Tapan Das", "1994-11-20", "Nadia", "Santipur", "2022-08-09"),
        ]);
        assert!(!together(&linked, first, first + 1));
    }

    #[test]
    fn keys_follow_the_anchor_record() {
        let ids: Vec<String> = ["b", "a", "c", "d"].iter().map(|s| s.to_string()).collect();
        let keyed = |a: &str| format!("K-{a}");
        // b and a together, c and d together: keys from the smallest id.
        assert_eq!(stable_keys(&ids, &[0, 0, 2, 2], keyed), ["K-a", "K-a", "K-c", "K-c"]);
        // A merge keeps the smaller anchor's key; a split gives the rest their own.
        assert_eq!(stable_keys(&ids, &[0, 0, 0, 0], keyed), ["K-a"; 4]);
        assert_eq!(stable_keys(&ids, &[0, 1, 2, 3], keyed), ["K-b", "K-a", "K-c", "K-d"]);
    }
}
