//! How good a linkage is, against a ground truth: pairwise precision,
//! recall and F1 (over all pairs of records put together), and B-cubed
//! (per record, the overlap of its predicted and true clusters, averaged),
//! which does not let one huge cluster dominate.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Scores {
    pub records: usize,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub pairwise_precision: f64,
    pub pairwise_recall: f64,
    pub pairwise_f1: f64,
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

/// Score `(predicted, true)` cluster labels, one per record.
pub fn score<P: Eq + Hash, T: Eq + Hash>(labels: &[(P, T)]) -> Scores {
    let mut pred: HashMap<&P, u64> = HashMap::new();
    let mut truth: HashMap<&T, u64> = HashMap::new();
    let mut both: HashMap<(&P, &T), u64> = HashMap::new();
    for (p, t) in labels {
        *pred.entry(p).or_default() += 1;
        *truth.entry(t).or_default() += 1;
        *both.entry((p, t)).or_default() += 1;
    }
    let predicted_pairs: u64 = pred.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = truth.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = both.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let (pp, pr) = (ratio(correct_pairs, predicted_pairs), ratio(correct_pairs, true_pairs));
    let n = labels.len().max(1) as f64;
    let (mut bp, mut br) = (0.0, 0.0);
    for (p, t) in labels {
        let overlap = both[&(p, t)] as f64;
        bp += overlap / pred[p] as f64;
        br += overlap / truth[t] as f64;
    }
    let (bp, br) = (bp / n, br / n);
    Scores {
        records: labels.len(),
        true_pairs,
        predicted_pairs,
        correct_pairs,
        pairwise_precision: pp,
        pairwise_recall: pr,
        pairwise_f1: f1(pp, pr),
        bcubed_precision: bp,
        bcubed_recall: br,
        bcubed_f1: f1(bp, br),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_split_and_merged() {
        let perfect = score(&[(1, "a"), (1, "a"), (2, "b")]);
        assert_eq!((perfect.pairwise_f1, perfect.bcubed_f1), (1.0, 1.0));
        // Everything merged: every true pair found, but 2 of 3 pairs wrong.
        let merged = score(&[(1, "a"), (1, "a"), (1, "b")]);
        assert_eq!(merged.pairwise_recall, 1.0);
        assert!((merged.pairwise_precision - 1.0 / 3.0).abs() < 1e-12);
        // Everything split: nothing wrong, nothing found.
        let split = score(&[(1, "a"), (2, "a"), (3, "b")]);
        assert_eq!((split.pairwise_precision, split.pairwise_recall), (1.0, 0.0));
        assert!((split.bcubed_recall - (0.5 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
    }
}
