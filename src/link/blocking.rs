//! Blocking: the pairs worth comparing. Each rule lists fields that must
//! all be known and equal; the pairs compared are the union over the rules,
//! and each rule's own pairs are its EM training session. A block larger
//! than `max_block` is skipped and counted: such a key is too common to say
//! anything, and would cost its size squared.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Settings;
use super::fields::block_field;
use super::model::Person;

/// What blocking produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockingReport {
    /// Per rule (as written): pairs it created that no earlier rule had.
    pub new_pairs_by_rule: Vec<(String, usize)>,
    /// Blocks skipped for being larger than `max_block`, per rule.
    pub skipped_blocks_by_rule: Vec<(String, usize)>,
    pub pairs: usize,
}

/// Two records, by index, the smaller first.
pub type Pair = (u32, u32);

/// The pairs one blocking rule creates (i < j), sorted and unique, and the
/// number of blocks it skipped for size.
fn rule_pairs(people: &[Person], rule: &[String], max_block: usize) -> (Vec<Pair>, usize) {
    let mut blocks: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, p) in people.iter().enumerate() {
        let key: Option<Vec<String>> = rule.iter().map(|f| block_field(f).and_then(|b| (b.key)(p))).collect();
        if let Some(key) = key {
            blocks.entry(key.join("\u{1f}")).or_default().push(i as u32);
        }
    }
    let mut skipped = 0;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for members in blocks.values() {
        if members.len() > max_block {
            skipped += 1;
            continue;
        }
        for (a, &i) in members.iter().enumerate() {
            for &j in &members[a + 1..] {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs, skipped)
}

/// The candidate pairs (i < j) over all rules, sorted and unique, and each
/// rule's own pairs (its EM training session).
pub fn block(people: &[Person], settings: &Settings) -> (Vec<Pair>, Vec<Vec<Pair>>, BlockingReport) {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut per_rule = Vec::with_capacity(settings.blocking.len());
    let mut report = BlockingReport::default();
    for rule in &settings.blocking {
        let (own, skipped) = rule_pairs(people, rule, settings.max_block);
        let before = pairs.len();
        pairs.extend_from_slice(&own);
        pairs.sort_unstable();
        pairs.dedup();
        let label = rule.join(" + ");
        report.new_pairs_by_rule.push((label.clone(), pairs.len() - before));
        report.skipped_blocks_by_rule.push((label, skipped));
        per_rule.push(own);
    }
    report.pairs = pairs.len();
    (pairs, per_rule, report)
}
