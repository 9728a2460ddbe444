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
use crate::settings::LinkType;

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
    // By one 64-bit key, the same order as the pairs' own; in parallel, as
    // the largest rules (ten million pairs at a million records) finish
    // last, one thread sorting while the other waited.
    {
        use rayon::slice::ParallelSliceMut;
        pairs.par_sort_unstable_by_key(|&(a, b)| (u64::from(a) << 32) | u64::from(b));
    }
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
            .map(|&f| (f, field_keys(people, Field::checked(f))))
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
    let (pairs, new_by_rule) = merge(&made, people.len());
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

/// Merge the rules' sorted lists: each pair once, credited to the first
/// rule that made it, without a copy of every rule's pairs. The pairs are
/// cut into ranges of their first record, merged in parallel and joined
/// in order: tens of millions of pairs through one heap is one core's
/// work, a night's longest step of blocking.
fn merge(made: &[(Vec<Pair>, usize)], records: usize) -> (Vec<Pair>, Vec<usize>) {
    use rayon::prelude::*;
    use std::cmp::Reverse;
    // A record pairs with those numbered after it, so the first ranges
    // hold more pairs: several ranges per thread even the work out.
    let parts = (rayon::current_num_threads() * 4).max(1);
    let bound = |k: usize| (records as u64 * k as u64 / parts as u64) as u32;
    let merged: Vec<(Vec<Pair>, Vec<usize>)> = (0..parts)
        .into_par_iter()
        .map(|k| {
            let (lo, hi) = (bound(k), bound(k + 1));
            let lists: Vec<&[Pair]> = made
                .iter()
                .map(|(own, _)| {
                    let from = own.partition_point(|p| p.0 < lo);
                    let to = own.partition_point(|p| p.0 < hi);
                    &own[from..to]
                })
                .collect();
            let mut heap: std::collections::BinaryHeap<Reverse<(Pair, usize, usize)>> = lists
                .iter()
                .enumerate()
                .filter_map(|(r, own)| own.first().map(|&p| Reverse((p, r, 0))))
                .collect();
            let mut pairs: Vec<Pair> = Vec::new();
            let mut new_by_rule = vec![0usize; made.len()];
            while let Some(Reverse((p, r, at))) = heap.pop() {
                if pairs.last() != Some(&p) {
                    pairs.push(p);
                    new_by_rule[r] += 1;
                }
                if let Some(&next) = lists[r].get(at + 1) {
                    heap.push(Reverse((next, r, at + 1)));
                }
            }
            (pairs, new_by_rule)
        })
        .collect();
    let mut pairs = Vec::with_capacity(merged.iter().map(|(p, _)| p.len()).sum());
    let mut new_by_rule = vec![0usize; made.len()];
    for (part, new) in merged {
        pairs.extend_from_slice(&part);
        new_by_rule.iter_mut().zip(new).for_each(|(n, k)| *n += k);
    }
    (pairs, new_by_rule)
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
    use crate::names::NameKey;

    #[test]
    fn merged_rules_hold_each_pair_once_credited_to_the_first_rule_that_made_it() {
        // Four rules' sorted pairs of 1,000 records, overlapping, one
        // empty; merged in parallel ranges against a plain set.
        let records = 1000u32;
        let rule = |m: u32, k: u32| -> Vec<Pair> {
            let mut v: Vec<Pair> = (0..records)
                .flat_map(|a| (a + 1..records.min(a + 40)).map(move |b| (a, b)))
                .filter(|&(a, b)| m > 0 && (a * 31 + b * 17 + k).is_multiple_of(m))
                .collect();
            v.sort_unstable();
            v
        };
        let made: Vec<(Vec<Pair>, usize)> = [(3, 0), (5, 1), (0, 0), (2, 1)]
            .into_iter()
            .map(|(m, k)| (rule(m, k), 0))
            .collect();
        let (pairs, new_by_rule) = merge(&made, records as usize);
        let mut expected: Vec<Pair> = made.iter().flat_map(|(own, _)| own.iter().copied()).collect();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(pairs, expected);
        let mut credit = vec![0usize; made.len()];
        for p in &expected {
            let first = made.iter().position(|(own, _)| own.binary_search(p).is_ok()).unwrap();
            credit[first] += 1;
        }
        assert_eq!(new_by_rule, credit);
        assert!(
            credit.iter().filter(|&&n| n > 0).count() == 3,
            "three rules add pairs: {credit:?}"
        );
    }

    #[test]
    fn link_only_pairs_only_records_of_different_partners() {
        let person = |source: u32, phone: &str| Person {
            source,
            phone: Some(phone.into()),
            name: NameKey::new("Rina Das"),
            ..Person::default()
        };
        let people = vec![person(0, "1"), person(0, "1"), person(1, "1"), person(1, "2")];
        let mut settings = crate::shipped("survivors").unwrap();
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
