//! k-anonymity and l-diversity by full-domain generalisation with
//! suppression, as ARX does it: every quasi-identifier has a hierarchy of
//! levels (level 0 the finest released, the last "*"); a *node* picks one
//! level per quasi-identifier; at a node, records sharing every generalised
//! value form a class, and a class smaller than k (or with fewer than l
//! distinct values of a sensitive field) is suppressed. Of the nodes whose
//! suppression stays within the allowed share, the one that generalises
//! least wins (the sum of each level over its hierarchy's height, times
//! the field's weight; ties to fewer suppressed records, then to the first
//! node in order). The lattice
//! is small (a handful of quasi-identifiers of two to five levels), so
//! every node is tried; a spec whose lattice is larger than its
//! `max_nodes` is refused before any data is read, and a search longer
//! than its `max_seconds` stops with an error, saying how far it got, and
//! logs its progress while it runs.

use std::collections::HashMap;

/// How long a search may take, and what it is searching for (for its
/// progress and its error).
pub struct Budget<'a> {
    pub seconds: u64,
    pub table: &'a str,
}

/// No class: a record left out.
const NONE: u32 = u32::MAX;

/// One table's quasi-identifiers at every level, and its sensitive fields,
/// as interned value ids (`None`, unknown, is a value of its own).
pub struct Lattice {
    /// Per quasi-identifier, per level, per record.
    pub qi: Vec<Vec<Vec<u32>>>,
    /// Per sensitive field, per record.
    pub sensitive: Vec<Vec<u32>>,
    pub records: usize,
    /// Per quasi-identifier, how much generalising it costs the study
    /// (ARX's attribute weights; 1 each unless the spec says otherwise).
    pub weights: Vec<f64>,
}

/// The chosen generalisation and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The level of each quasi-identifier.
    pub node: Vec<usize>,
    /// Per record: released (true) or suppressed.
    pub kept: Vec<bool>,
    /// Records suppressed because their class is smaller than k.
    pub suppressed_for_k: usize,
    /// Records suppressed (beyond those) for too few sensitive values.
    pub suppressed_for_l: usize,
    /// Nodes tried.
    pub nodes_tried: usize,
}

/// Prosecutor re-identification risk over a set of records (ARX's
/// summary): a record's risk is one over the records sharing its
/// quasi-identifiers.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Risk {
    pub records: usize,
    pub classes: usize,
    pub smallest_class: usize,
    pub highest: f64,
    pub average: f64,
    /// Records whose risk is above the threshold.
    pub records_at_risk: usize,
}

impl Lattice {
    fn heights(&self) -> Vec<usize> {
        self.qi.iter().map(|levels| levels.len()).collect()
    }

    /// Every record's class id at `node` (`NONE` for a record not in
    /// `rows`), and each class's size.
    fn classes(&self, node: &[usize], rows: impl Iterator<Item = usize>) -> (Vec<u32>, Vec<usize>) {
        let mut ids: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut class_of = vec![NONE; self.records];
        let mut size: Vec<usize> = Vec::new();
        for r in rows {
            let key: Vec<u32> = node.iter().enumerate().map(|(q, &lv)| self.qi[q][lv][r]).collect();
            let next = ids.len() as u32;
            let id = *ids.entry(key).or_insert(next);
            if id as usize == size.len() {
                size.push(0);
            }
            size[id as usize] += 1;
            class_of[r] = id;
        }
        (class_of, size)
    }

    /// Per record, released or not at `node`, and the counts suppressed
    /// for k and for l.
    fn judge(&self, node: &[usize], k: usize, l: usize) -> (Vec<bool>, usize, usize) {
        let (class_of, size) = self.classes(node, 0..self.records);
        let mut kept: Vec<bool> = class_of.iter().map(|&c| size[c as usize] >= k).collect();
        let for_k = kept.iter().filter(|x| !**x).count();
        let mut for_l = 0;
        if l > 1 {
            for values in &self.sensitive {
                let mut distinct: Vec<std::collections::HashSet<u32>> = vec![Default::default(); size.len()];
                for r in (0..self.records).filter(|&r| kept[r]) {
                    distinct[class_of[r] as usize].insert(values[r]);
                }
                for r in 0..self.records {
                    if kept[r] && distinct[class_of[r] as usize].len() < l {
                        kept[r] = false;
                        for_l += 1;
                    }
                }
            }
        }
        (kept, for_k, for_l)
    }

    /// Try every node; keep the least generalised within the allowed
    /// suppression (or, when none is, the one suppressing fewest). Stops
    /// with why, when the search takes longer than the budget allows.
    pub fn solve(&self, k: u32, l: u32, max_suppressed_share: f64, budget: &Budget<'_>) -> Result<Outcome, String> {
        let heights = self.heights();
        let total: u64 = heights.iter().fold(1u64, |n, &h| n.saturating_mul(h as u64));
        let started = std::time::Instant::now();
        let mut told = started;
        let allowed = (max_suppressed_share * self.records as f64).floor() as usize;
        let loss = |node: &[usize]| -> f64 {
            node.iter()
                .zip(&heights)
                .enumerate()
                .map(|(q, (&lv, &h))| self.weights.get(q).copied().unwrap_or(1.0) * lv as f64 / (h.max(2) - 1) as f64)
                .sum()
        };
        let mut best: Option<(bool, f64, usize, Outcome)> = None;
        let mut node = vec![0usize; heights.len()];
        let mut tried = 0;
        loop {
            let now = std::time::Instant::now();
            if now.duration_since(started).as_secs() >= budget.seconds {
                return Err(format!(
                    "table `{}`: the search for a generalisation stopped after `max_seconds` ({} s), having tried {tried} \
                     of {total} nodes over {} records: use fewer quasi-identifiers or levels, or raise `max_seconds`",
                    budget.table, budget.seconds, self.records
                ));
            }
            if now.duration_since(told).as_secs() >= 5 {
                told = now;
                tracing::info!(
                    table = budget.table,
                    tried,
                    total,
                    "searching the generalisation lattice"
                );
            }
            tried += 1;
            let (kept, for_k, for_l) = self.judge(&node, k as usize, l as usize);
            let suppressed = for_k + for_l;
            let fits = suppressed <= allowed;
            let this = (fits, loss(&node), suppressed);
            let better = match &best {
                None => true,
                Some((f, lo, s, _)) => match (fits, *f) {
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => (this.1, this.2) < (*lo, *s),
                    (false, false) => (this.2, this.1) < (*s, *lo),
                },
            };
            if better {
                best = Some((
                    fits,
                    this.1,
                    suppressed,
                    Outcome {
                        node: node.clone(),
                        kept,
                        suppressed_for_k: for_k,
                        suppressed_for_l: for_l,
                        nodes_tried: 0,
                    },
                ));
            }
            // The next node, as an odometer over the levels.
            let mut q = 0;
            while q < node.len() {
                node[q] += 1;
                if node[q] < heights[q] {
                    break;
                }
                node[q] = 0;
                q += 1;
            }
            if q == node.len() {
                break;
            }
        }
        let mut out = best.map(|b| b.3).expect("the lattice has at least one node");
        out.nodes_tried = tried;
        Ok(out)
    }

    /// The prosecutor risk of the records `kept` at `node`.
    pub fn risk(&self, node: &[usize], kept: &[bool], threshold: f64) -> Risk {
        let (class_of, size) = self.classes(node, (0..self.records).filter(|&r| kept[r]));
        let records = kept.iter().filter(|k| **k).count();
        let smallest = size.iter().copied().min().unwrap_or(0);
        let at_risk = class_of
            .iter()
            .filter(|&&c| c != NONE && 1.0 / size[c as usize] as f64 > threshold)
            .count();
        Risk {
            records,
            classes: size.len(),
            smallest_class: smallest,
            highest: if smallest == 0 { 0.0 } else { 1.0 / smallest as f64 },
            average: if records == 0 {
                0.0
            } else {
                size.len() as f64 / records as f64
            },
            records_at_risk: at_risk,
        }
    }
}

/// Interns values to ids, per column.
#[derive(Default)]
pub struct Interner {
    ids: HashMap<Option<String>, u32>,
}

impl Interner {
    pub fn id(&mut self, v: Option<String>) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(v).or_insert(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Budget<'static> = Budget {
        seconds: 60,
        table: "t",
    };

    /// One quasi-identifier with two levels (fine, "*") and a sensitive
    /// field: 12 records in class a, 3 in class b.
    fn lattice(sensitive_in_a: &[u32]) -> Lattice {
        let fine: Vec<u32> = (0..15).map(|r| u32::from(r >= 12)).collect();
        Lattice {
            qi: vec![vec![fine, vec![0; 15]]],
            sensitive: vec![(0..15).map(|r| sensitive_in_a.get(r).copied().unwrap_or(7)).collect()],
            records: 15,
            weights: vec![1.0],
        }
    }

    #[test]
    fn a_small_class_is_suppressed_when_the_share_allows_and_generalised_when_not() {
        let t = lattice(&[1; 12]);
        // 3 of 15 is 20%: allowed at 0.2, so the fine level stays.
        let o = t.solve(10, 1, 0.2, &BUDGET).unwrap();
        assert_eq!(o.node, vec![0]);
        assert_eq!((o.suppressed_for_k, o.kept.iter().filter(|k| **k).count()), (3, 12));
        // At 5%, the value is withheld for everyone instead.
        let o = t.solve(10, 1, 0.05, &BUDGET).unwrap();
        assert_eq!(o.node, vec![1]);
        assert_eq!(o.suppressed_for_k, 0);
        let r = t.risk(&o.node, &o.kept, 0.1);
        assert_eq!((r.classes, r.smallest_class, r.records_at_risk), (1, 15, 0));
        // One in 15 is above a threshold of one in 20: all 15 at risk.
        assert_eq!(t.risk(&o.node, &o.kept, 0.05).records_at_risk, 15);
        assert!((r.highest - 1.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn a_class_with_one_sensitive_value_fails_l_diversity() {
        // Class a all one outcome: at l = 2 it cannot be released as it is.
        let t = lattice(&[1; 12]);
        let o = t.solve(3, 2, 0.2, &BUDGET).unwrap();
        // With three records of class b (outcome 7) and twelve of a
        // (outcome 1), only the "*" level mixes them.
        assert_eq!(o.node, vec![1]);
        let mixed = lattice(&[1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
        let o = mixed.solve(3, 2, 0.2, &BUDGET).unwrap();
        // b has one outcome: its 3 records are suppressed for l.
        assert_eq!(
            (o.node.clone(), o.suppressed_for_k, o.suppressed_for_l),
            (vec![0], 0, 3)
        );
    }

    #[test]
    fn a_weighted_field_is_generalised_last() {
        // Two quasi-identifiers; each alone at its fine level leaves a small
        // class, so one of them must be withheld.
        let a: Vec<u32> = (0..20).map(|r| u32::from(r == 0)).collect();
        let b: Vec<u32> = (0..20).map(|r| u32::from(r == 1)).collect();
        let mut t = Lattice {
            qi: vec![vec![a, vec![0; 20]], vec![b, vec![0; 20]]],
            sensitive: vec![],
            records: 20,
            weights: vec![1.0, 1.0],
        };
        // A tie at equal weights: the first node in order withholds `a`.
        assert_eq!(t.solve(5, 1, 0.05, &BUDGET).unwrap().node, vec![1, 0]);
        // Weighted, `a` is kept and `b` withheld.
        t.weights = vec![3.0, 1.0];
        assert_eq!(t.solve(5, 1, 0.05, &BUDGET).unwrap().node, vec![0, 1]);
    }

    #[test]
    fn too_few_records_for_k_suppresses_them_all_and_says_so() {
        let t = Lattice {
            qi: vec![vec![vec![0, 1, 2], vec![0, 0, 0]]],
            sensitive: vec![],
            records: 3,
            weights: vec![1.0],
        };
        let o = t.solve(10, 1, 0.05, &BUDGET).unwrap();
        assert_eq!(o.kept, vec![false; 3]);
        assert_eq!(o.suppressed_for_k, 3);
        assert_eq!(t.risk(&o.node, &o.kept, 0.05).records, 0);
    }

    #[test]
    fn a_search_past_its_time_stops_with_why() {
        let t = Lattice {
            qi: vec![vec![vec![0, 1], vec![0, 0]]],
            sensitive: vec![],
            records: 2,
            weights: vec![1.0],
        };
        let none = Budget {
            seconds: 0,
            table: "survivors",
        };
        let why = t.solve(2, 1, 0.0, &none).unwrap_err();
        assert!(why.contains("`max_seconds`") && why.contains("survivors"), "{why}");
    }
}
