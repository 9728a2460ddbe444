//! Blocking: the pairs worth comparing. Each rule lists fields that must
//! all be known and equal; the pairs compared are the union over the rules
//! (only pairs the link type allows), and each rule's own pairs are its EM
//! training session. A block larger than `max_block` is skipped and
//! counted: such a key is too common to say anything, and would cost its
//! size squared.
//!
//! The report says, per rule, the pairs it makes and the share of records
//! it gives at least one candidate, so an operator can judge the rules
//! before trusting the figures: a rule set that leaves most records with no
//! candidate cannot find their matches, whatever the model.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Settings;
use super::fields::{Field, hash_key};
use super::model::{Person, allowed};
use crate::config::linkage::LinkType;

/// What one blocking rule produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RuleReport {
    pub rule: String,
    /// Pairs the rule makes.
    pub pairs: usize,
    /// Of them, pairs no earlier rule made.
    pub new_pairs: usize,
    /// Blocks skipped for being larger than `max_block`.
    pub skipped_blocks: usize,
    /// Records the rule gives at least one candidate.
    pub records_with_candidate: usize,
}

/// What blocking produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockingReport {
    /// Per rule, as written.
    pub rules: Vec<RuleReport>,
    pub pairs: usize,
    pub records: usize,
    /// Records that some rule gives at least one candidate.
    pub records_with_candidate: usize,
    /// All pairs the link type allows (the prior's denominator).
    pub possible_pairs: f64,
}

impl BlockingReport {
    /// A warning when the rules leave most records without a candidate.
    pub fn warning(&self) -> Option<String> {
        (self.records >= 100 && self.records_with_candidate * 2 < self.records).then(|| {
            format!(
                "the blocking rules give only {} of {} records a candidate pair: most records cannot be linked whatever they agree on; write rules on fields these records hold",
                self.records_with_candidate, self.records
            )
        })
    }
}

/// Two records, by index, the smaller first.
pub type Pair = (u32, u32);

/// Each record's key on one field, hashed (`None` where it lacks the
/// field): worked out once per field, not once per rule naming it.
type Keys = Vec<Option<u64>>;

fn field_keys(people: &[Person], field: Field) -> Keys {
    use std::hash::{BuildHasher, Hasher};
    let state = foldhash::quality::FixedState::with_seed(0x0b10c);
    people
        .iter()
        .map(|p| {
            let mut h = state.build_hasher();
            hash_key(p, field, &mut h).map(|()| h.finish())
        })
        .collect()
}

/// The pairs one blocking rule creates (i < j) that the link type allows,
/// sorted and unique, and the number of blocks it skipped for size. A
/// record's key is hashed, not built: two keys sharing a 64-bit hash would
/// only add a pair to compare, never lose one.
fn rule_pairs(people: &[Person], keys: &[&Keys], settings: &Settings) -> (Vec<Pair>, usize) {
    use std::hash::{BuildHasher, Hasher};
    let state = foldhash::quality::FixedState::with_seed(0x0b10c);
    // (key, record), sorted: each block is a run of one key, with no
    // allocation per block.
    let mut keyed: Vec<(u64, u32)> = (0..people.len())
        .filter_map(|i| {
            let mut h = state.build_hasher();
            keys.iter()
                .all(|k| k[i].map(|key| h.write_u64(key)).is_some())
                .then(|| (h.finish(), i as u32))
        })
        .collect();
    keyed.sort_unstable();
    let mut skipped = 0;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for block in keyed.chunk_by(|x, y| x.0 == y.0) {
        if block.len() > settings.max_block {
            skipped += 1;
            continue;
        }
        for (a, &(_, i)) in block.iter().enumerate() {
            for &(_, j) in &block[a + 1..] {
                if allowed(settings.link_type, people, i as usize, j as usize) {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs, skipped)
}

/// All pairs of `people` the link type allows.
fn possible_pairs(people: &[Person], link_type: LinkType) -> f64 {
    let n = people.len() as f64;
    let all = n * (n - 1.0) / 2.0;
    let mut per_source: HashMap<u32, f64> = HashMap::new();
    people
        .iter()
        .for_each(|p| *per_source.entry(p.source).or_default() += 1.0);
    let within: f64 = per_source.values().map(|k| k * (k - 1.0) / 2.0).sum();
    match link_type {
        LinkType::LinkAndDedupe => all,
        LinkType::LinkOnly => all - within,
        LinkType::Dedupe => within,
    }
}

/// The candidate pairs (i < j) over all rules, sorted and unique, and each
/// rule's own pairs (its EM training session).
pub fn block(people: &[Person], settings: &Settings) -> (Vec<Pair>, Vec<Vec<Pair>>, BlockingReport) {
    let mut per_rule = Vec::with_capacity(settings.blocking.len());
    let mut report = BlockingReport {
        records: people.len(),
        possible_pairs: possible_pairs(people, settings.link_type),
        ..BlockingReport::default()
    };
    // The rules run in parallel; then each pair is credited to the first
    // rule that made it, in one sort.
    let made: Vec<(Vec<Pair>, usize)> = {
        use rayon::prelude::*;
        let mut fields: Vec<&str> = settings.blocking.iter().flatten().map(String::as_str).collect();
        fields.sort_unstable();
        fields.dedup();
        let keys: HashMap<&str, Keys> = fields
            .par_iter()
            .map(|&f| (f, field_keys(people, Field::named(f))))
            .collect();
        settings
            .blocking
            .par_iter()
            .map(|rule| {
                let keys: Vec<&Keys> = rule.iter().map(|f| &keys[f.as_str()]).collect();
                rule_pairs(people, &keys, settings)
            })
            .collect()
    };
    // Merge the rules' sorted lists: each pair once, credited to the first
    // rule that made it, without a copy of every rule's pairs.
    let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<(Pair, usize, usize)>> = made
        .iter()
        .enumerate()
        .filter_map(|(r, (own, _))| own.first().map(|&p| std::cmp::Reverse((p, r, 0))))
        .collect();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut new_by_rule = vec![0usize; settings.blocking.len()];
    while let Some(std::cmp::Reverse((p, r, at))) = heap.pop() {
        if pairs.last() != Some(&p) {
            pairs.push(p);
            new_by_rule[r] += 1;
        }
        if let Some(&next) = made[r].0.get(at + 1) {
            heap.push(std::cmp::Reverse((next, r, at + 1)));
        }
    }
    for ((rule, (own, skipped)), new_pairs) in settings.blocking.iter().zip(made).zip(new_by_rule) {
        report.rules.push(RuleReport {
            rule: rule.join(" + "),
            pairs: own.len(),
            new_pairs,
            skipped_blocks: skipped,
            records_with_candidate: with_candidate(people.len(), &own),
        });
        per_rule.push(own);
    }
    report.pairs = pairs.len();
    report.records_with_candidate = with_candidate(people.len(), &pairs);
    (pairs, per_rule, report)
}

/// Records in at least one of `pairs`.
fn with_candidate(n: usize, pairs: &[Pair]) -> usize {
    let mut seen = vec![false; n];
    for &(a, b) in pairs {
        seen[a as usize] = true;
        seen[b as usize] = true;
    }
    seen.into_iter().filter(|&s| s).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::names::NameKey;

    #[test]
    fn link_only_pairs_only_records_of_different_partners() {
        let person = |source: u32, phone: &str| Person {
            source,
            phone: Some(phone.into()),
            name: NameKey::new("Rina Das"),
            ..Person::default()
        };
        let people = vec![person(0, "1"), person(0, "1"), person(1, "1"), person(1, "2")];
        let mut settings = crate::config::default_linkage("survivors").unwrap();
        settings.blocking = vec![vec!["phone".into()]];
        let pairs = |t: LinkType| {
            let mut s = settings.clone();
            s.link_type = t;
            block(&people, &s).0
        };
        assert_eq!(pairs(LinkType::LinkAndDedupe), vec![(0, 1), (0, 2), (1, 2)]);
        assert_eq!(pairs(LinkType::LinkOnly), vec![(0, 2), (1, 2)]);
        assert_eq!(pairs(LinkType::Dedupe), vec![(0, 1)]);
        settings.link_type = LinkType::LinkOnly;
        let (_, _, report) = block(&people, &settings);
        assert_eq!(report.possible_pairs, 4.0);
        assert_eq!(report.records_with_candidate, 3, "the second phone meets no one");
        assert_eq!(report.rules[0].records_with_candidate, 3);
    }
}
