//! Fellegi-Sunter record linkage, the way splink does it: blocking rules
//! choose the pairs worth comparing; each comparison puts a pair on an
//! ordered level (exact, close, else); m and u probabilities per level give
//! each pair a match weight. u (how often two different people agree by
//! chance) is estimated from random pairs; m (how often the same person
//! agrees) by expectation-maximisation over the blocked pairs. No labels.

use serde::{Deserialize, Serialize};

use super::fields::{Comparisons, Levels, MAX, NULL, Table};
pub use super::person::Person;
use crate::settings::LinkType;

/// The trained model: m and u per comparison and level, what each was
/// estimated from, and the prior.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// Per comparison: what its m was estimated from, the expected matches
    /// among the blocked pairs known on both sides (summed over the
    /// training sessions that could estimate it); 0 means m was never
    /// trained and is the starting value.
    pub m_pairs: Vec<f64>,
    /// Per comparison: the random pairs, known on both sides, its u was
    /// estimated from.
    pub u_pairs: Vec<f64>,
    /// Per comparison and level: whether a pair on it contradicts being
    /// one person, and whether the comparison is shared evidence.
    pub contradicts: Vec<Vec<bool>>,
    pub shared: Vec<bool>,
    /// Per comparison: whether its "else" counts for nothing.
    #[serde(default)]
    pub else_neutral: Vec<bool>,
    /// The highest match probability shared evidence alone may give a
    /// pair (`shared_evidence_limit`); None: no limit.
    #[serde(default)]
    pub shared_limit: Option<f64>,
    /// The probability that two records drawn at random are the same
    /// person: the prior of every match weight.
    pub lambda: f64,
    pub em_iterations: usize,
    /// Pairs compared to estimate u.
    pub u_sample_pairs: usize,
    /// log2(m/u) per comparison and level, kept with m and u (see
    /// [`Model::refresh`]): EM and scoring read it for every pair.
    #[serde(skip)]
    table: Vec<Vec<f64>>,
}

const FLOOR: f64 = 1e-6;

/// The share of records holding each value of a comparison, keyed by the
/// value (looked up for every pair agreeing exactly, so a fast hash).
pub type TermFrequencies = std::collections::HashMap<String, f64, foldhash::fast::FixedState>;

/// Whether records `i` and `j` may be linked under `link_type`.
pub fn allowed(link_type: LinkType, people: &[Person], i: usize, j: usize) -> bool {
    match link_type {
        LinkType::LinkAndDedupe => true,
        LinkType::LinkOnly => people[i].source != people[j].source,
        LinkType::Dedupe => people[i].source == people[j].source,
    }
}

impl Model {
    /// u from `sample` random pairs of `people` the link type allows
    /// (seeded, so a run is reproducible), and per comparison the pairs
    /// known on both sides.
    pub fn estimate_u(
        people: &[Person],
        comparisons: &Comparisons,
        table: &Table,
        link_type: LinkType,
        sample: usize,
        seed: u64,
    ) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut counts: Vec<Vec<f64>> = comparisons.list.iter().map(|c| vec![1.0; c.levels()]).collect();
        let mut known = vec![0.0; comparisons.len()];
        let n = people.len() as u64;
        if n >= 2 {
            let mut state = seed | 1;
            let mut next = || {
                // xorshift64*: enough for sampling pairs, and no new dependency.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                state.wrapping_mul(0x2545_F491_4F6C_DD1D)
            };
            // A few tries per wanted pair, so a link type no pair meets
            // (one partner, link_only) ends instead of looping. The pairs
            // are drawn in order (reproducible), then compared in parallel.
            let mut sampled: Vec<(u32, u32)> = Vec::with_capacity(sample);
            let mut tries = 0;
            while sampled.len() < sample && tries < sample * 4 {
                tries += 1;
                let i = (next() % n) as usize;
                let j = (next() % n) as usize;
                if i != j && allowed(link_type, people, i, j) {
                    sampled.push((i as u32, j as u32));
                }
            }
            // In record order, so one side of each pair is read from
            // memory in sequence (the counts do not depend on the order).
            sampled.sort_unstable();
            use rayon::prelude::*;
            let k = comparisons.len();
            let tally = |mut acc: (Vec<Vec<f64>>, Vec<f64>), &(i, j): &(u32, u32)| {
                let lv = comparisons.compare(table, i, j);
                for (c, &l) in lv.iter().take(k).enumerate() {
                    if l != NULL {
                        acc.0[c][l as usize] += 1.0;
                        acc.1[c] += 1.0;
                    }
                }
                acc
            };
            let zero = || {
                (
                    counts.iter().map(|r| vec![0.0; r.len()]).collect::<Vec<_>>(),
                    vec![0.0; k],
                )
            };
            let (c, kn) = sampled.par_iter().fold(zero, tally).reduce(zero, |mut a, b| {
                add_into(&mut a.0, &b.0);
                add(&mut a.1, &b.1);
                a
            });
            add_into(&mut counts, &c);
            known = kn;
        }
        (normalise(counts), known)
    }

    /// Train m by EM, u held fixed, the way splink does: one session per
    /// blocking rule, on the pairs that rule created, where the comparisons
    /// the rule forced to agree are left out (every pair agrees on them, so
    /// they say nothing about m). Each comparison's m is the pair-weighted
    /// mean over the sessions that could estimate it. `sessions` lists, per
    /// rule, the comparisons it fixes and the indexes of its pairs.
    /// `prior` is the probability that two records drawn at random match.
    pub fn train(
        comparisons: &Comparisons,
        levels: &[Levels],
        sessions: &[(Vec<usize>, Vec<usize>)],
        (u, u_pairs): (Vec<Vec<f64>>, Vec<f64>),
        prior: f64,
        (iterations, shared_limit): (usize, Option<f64>),
    ) -> Model {
        let n_cmp = comparisons.len();
        let start: Vec<Vec<f64>> = comparisons
            .list
            .iter()
            .map(|c| {
                let k = c.levels();
                // Start: matches mostly agree.
                (0..k)
                    .map(|l| if l == 0 { 0.8 } else { 0.2 / (k - 1) as f64 })
                    .collect()
            })
            .collect();
        let mut model = Model {
            m: start.clone(),
            u,
            m_pairs: vec![0.0; n_cmp],
            u_pairs,
            contradicts: comparisons.list.iter().map(|c| c.contradicts.clone()).collect(),
            shared: comparisons.list.iter().map(|c| c.shared).collect(),
            else_neutral: comparisons.list.iter().map(|c| c.else_neutral).collect(),
            shared_limit,
            lambda: 0.5,
            em_iterations: 0,
            u_sample_pairs: 0,
            table: Vec::new(),
        };
        let mut sum: Vec<Vec<f64>> = start.iter().map(|r| vec![0.0; r.len()]).collect();
        let mut done = 0;
        for (fixed, pairs) in sessions {
            if pairs.is_empty() || fixed.len() >= n_cmp {
                continue;
            }
            model.m = start.clone();
            model.refresh();
            model.lambda = 0.5;
            // Pairs with the same levels everywhere have the same weight:
            // EM runs over the distinct patterns (a few thousand), each
            // counted as often as it occurs, instead of over every pair.
            // Sorted, so the sums run in one order on every run.
            let patterns = patterns(pairs.iter().map(|&i| &levels[i]));
            let mut known = vec![0.0; n_cmp];
            for it in 0..iterations {
                // A tenth of an observation per level: a level no match
                // showed in this data is unlikely, not impossible (ages are
                // often approximate). More would blunt the evidence of small
                // sessions: two sisters would then merge on guardian,
                // village and rescue day.
                let mut counts: Vec<Vec<f64>> = model.m.iter().map(|r| vec![0.1; r.len()]).collect();
                known.iter_mut().for_each(|k| *k = 0.0);
                let mut total_p = 0.0;
                // In fixed chunks, summed in order: the same sums, to the
                // last bit, on every run and machine.
                let partials: Vec<(Vec<Vec<f64>>, Vec<f64>, f64)> = {
                    use rayon::prelude::*;
                    let model = &model;
                    patterns
                        .par_chunks(1024)
                        .map(|chunk| {
                            let mut counts: Vec<Vec<f64>> = model.m.iter().map(|r| vec![0.0; r.len()]).collect();
                            let mut known = vec![0.0; n_cmp];
                            let mut total = 0.0;
                            for (lv, n) in chunk {
                                let p = weight_to_probability(model.log2_odds(lv, fixed, |_| None)) * n;
                                total += p;
                                for (c, &l) in lv.iter().take(n_cmp).enumerate() {
                                    if l != NULL {
                                        counts[c][l as usize] += p;
                                        known[c] += p;
                                    }
                                }
                            }
                            (counts, known, total)
                        })
                        .collect()
                };
                for (c, k, t) in partials {
                    add_into(&mut counts, &c);
                    add(&mut known, &k);
                    total_p += t;
                }
                let new_m = normalise(counts);
                let new_lambda = (total_p / pairs.len() as f64).clamp(1e-4, 0.9999);
                let shift = new_m
                    .iter()
                    .flatten()
                    .zip(model.m.iter().flatten())
                    .map(|(a, b)| (a - b).abs())
                    .fold((new_lambda - model.lambda).abs(), f64::max);
                model.m = new_m;
                model.refresh();
                model.lambda = new_lambda;
                done = done.max(it + 1);
                // splink's em_convergence: no m or prior moved by more.
                if shift < 1e-4 {
                    break;
                }
            }
            // Weighted by the pairs the session could see the comparison on
            // (the expected matches among them), not by all its pairs: a
            // session where the field is mostly blank says little of its m.
            for c in (0..n_cmp).filter(|c| !fixed.contains(c)) {
                for (l, x) in model.m[c].iter().enumerate() {
                    sum[c][l] += x * known[c];
                }
                model.m_pairs[c] += known[c];
            }
        }
        model.m = sum
            .into_iter()
            .zip(&model.m_pairs)
            .zip(start)
            .map(|((row, &w), start)| {
                if w > 0.0 {
                    row.into_iter().map(|x| x / w).collect()
                } else {
                    start
                }
            })
            .collect();
        model.m = model.m.iter().zip(&model.u).map(|(m, u)| monotone(m, u)).collect();
        model.refresh();
        model.lambda = prior.clamp(1e-12, 0.5);
        model.em_iterations = done;
        model
    }

    /// The Bayes factor (log2) one comparison's level adds, before the
    /// shared-evidence rule. `tf` is the share of records holding the value
    /// both sides agree on exactly, for the term-frequency adjustment:
    /// agreeing on a common name is weaker evidence than on a rare one.
    pub fn level_weight(&self, c: usize, l: u8, tf: Option<f64>) -> f64 {
        if tf.is_none()
            && let Some(w) = self.table.get(c).and_then(|row| row.get(l as usize))
        {
            return *w;
        }
        let (m, mut u) = (self.m[c][l as usize], self.u[c][l as usize]);
        if l == 0
            && let Some(tf) = tf
        {
            u = tf.max(u * 0.01);
        }
        log2_bayes(m, u)
    }

    /// A model read back from where it was saved (its table of level
    /// weights is not saved): ready to score.
    pub fn restored(mut self) -> Model {
        self.refresh();
        self
    }

    /// Recompute the table of level weights from m and u.
    fn refresh(&mut self) {
        self.table = self
            .m
            .iter()
            .zip(&self.u)
            .enumerate()
            .map(|(c, (ms, us))| {
                let neutral = self.else_neutral.get(c).copied().unwrap_or(false);
                let last = ms.len().saturating_sub(1);
                ms.iter()
                    .zip(us)
                    .enumerate()
                    .map(|(l, (&m, &u))| if neutral && l == last { 0.0 } else { log2_bayes(m, u) })
                    .collect()
            })
            .collect();
    }

    /// Whether a level contradicts being one person.
    pub fn contradicts(&self, lv: &Levels) -> bool {
        lv.iter()
            .zip(&self.contradicts)
            .any(|(&l, row)| l != NULL && row[l as usize])
    }

    /// The weight each comparison adds to a pair as scored (NaN where it
    /// is blank on a side, or in `skip`), after the two rules for shared
    /// evidence (what a household shares: father, phone, village, rescue):
    /// - when a personal level contradicts being one person, shared
    ///   agreement adds nothing (two sisters agree on all of it);
    /// - shared agreement together raises the pair's probability to at
    ///   most `shared_limit`: its positive weights are scaled down alike.
    fn terms(&self, lv: &Levels, skip: &[usize], tf: impl Fn(usize) -> Option<f64>) -> [f64; MAX] {
        let contradicted = self.contradicts(lv);
        let mut out = [f64::NAN; MAX];
        let mut shared_gain = 0.0;
        for (c, &l) in lv.iter().take(self.m.len()).enumerate() {
            if l == NULL || skip.contains(&c) {
                continue;
            }
            let mut x = self.level_weight(c, l, tf(c));
            if self.shared[c] && x > 0.0 {
                if contradicted {
                    x = 0.0;
                }
                shared_gain += x;
            }
            out[c] = x;
        }
        if let Some(limit) = self.shared_limit.filter(|_| shared_gain > 0.0) {
            let room = (log2_odds_of(limit) - log2_odds_of(self.lambda)).max(0.0);
            if shared_gain > room {
                let scale = room / shared_gain;
                for (c, x) in out.iter_mut().enumerate().take(self.m.len()) {
                    if self.shared[c] && *x > 0.0 {
                        *x *= scale;
                    }
                }
            }
        }
        out
    }

    /// The pair's match weight, leaving out the comparisons in `skip`.
    fn log2_odds(&self, lv: &Levels, skip: &[usize], tf: impl Fn(usize) -> Option<f64>) -> f64 {
        let terms = self.terms(lv, skip, tf);
        log2_odds_of(self.lambda) + terms.iter().filter(|x| !x.is_nan()).sum::<f64>()
    }

    /// The pair's match weight (log2 Bayes factor plus prior). `tf(c)` is
    /// the term frequency of comparison c's agreed value, where it has one.
    pub fn weight(&self, lv: &Levels, tf: impl Fn(usize) -> Option<f64>) -> f64 {
        self.log2_odds(lv, &[], tf)
    }

    /// Per comparison: the weight it adds to this pair as scored (after
    /// the shared-evidence rule), or None where it is blank on a side.
    pub fn waterfall(&self, lv: &Levels, tf: impl Fn(usize) -> Option<f64>) -> Vec<Option<f64>> {
        let terms = self.terms(lv, &[], tf);
        terms[..self.m.len()]
            .iter()
            .map(|x| (!x.is_nan()).then_some(*x))
            .collect()
    }
}

/// Levels are ordered best first, so a better level must never count as
/// weaker evidence than a worse one. EM can break that for a level the
/// data rarely shows (a Bengali-script name meeting its Latin spelling only
/// by skeleton). Adjacent levels that break it are pooled (pool adjacent
/// violators): each takes the pool's Bayes factor, its m scaled from the
/// pool's total m in proportion to its u. The m of a pool is unchanged, so
/// every m stays between 0 and 1 and a row still sums to 1.
fn monotone(m: &[f64], u: &[f64]) -> Vec<f64> {
    // Pools of (first level, total m, total u), in level order.
    let mut pools: Vec<(usize, f64, f64)> = Vec::new();
    for l in 0..m.len() {
        pools.push((l, m[l], u[l].max(FLOOR)));
        while pools.len() > 1 {
            let (_, m2, u2) = pools[pools.len() - 1];
            let (_, m1, u1) = pools[pools.len() - 2];
            if m1 / u1 >= m2 / u2 {
                break;
            }
            pools.pop();
            let last = pools.last_mut().expect("two pools");
            last.1 += m2;
            last.2 += u2;
        }
    }
    let mut out = vec![0.0; m.len()];
    for (k, &(first, pm, pu)) in pools.iter().enumerate() {
        let end = pools.get(k + 1).map_or(m.len(), |p| p.0);
        for l in first..end {
            out[l] = pm * u[l].max(FLOOR) / pu;
        }
    }
    out
}

/// log2(m/u), each held above the floor.
/// The distinct level patterns among `levels`, each with how often it
/// occurs, sorted (so sums over them run in one order on every run).
/// Counted in a map, not by sorting a copy: at 1,000,000 people a copy
/// of every pair's levels is half a gigabyte.
pub fn patterns<'a>(levels: impl Iterator<Item = &'a Levels>) -> Vec<(Levels, f64)> {
    let mut n: std::collections::HashMap<Levels, f64, foldhash::fast::FixedState> = Default::default();
    for lv in levels {
        *n.entry(*lv).or_default() += 1.0;
    }
    let mut out: Vec<(Levels, f64)> = n.into_iter().collect();
    out.sort_unstable_by_key(|p| p.0);
    out
}

/// log2 of the odds of probability `p` (infinite at 1): a probability as
/// a match weight.
pub fn log2_odds_of(p: f64) -> f64 {
    (p / (1.0 - p)).log2()
}

fn log2_bayes(m: f64, u: f64) -> f64 {
    (m.max(FLOOR) / u.max(FLOOR)).log2()
}

/// `a += b`, element by element.
fn add(a: &mut [f64], b: &[f64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// `a += b`, row by row.
fn add_into(a: &mut [Vec<f64>], b: &[Vec<f64>]) {
    a.iter_mut().zip(b).for_each(|(x, y)| add(x, y));
}

fn normalise(counts: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    counts
        .into_iter()
        .map(|r| {
            let s: f64 = r.iter().sum();
            r.into_iter().map(|x| x / s).collect()
        })
        .collect()
}

/// Probability from a match weight.
pub fn weight_to_probability(w: f64) -> f64 {
    1.0 / (1.0 + 2f64.powf(-w))
}

/// Per comparison with a term-frequency adjustment: the share of records
/// (of those that hold the field) holding each value.
pub fn term_frequencies(people: &[Person], comparisons: &Comparisons) -> Vec<Option<TermFrequencies>> {
    comparisons
        .list
        .iter()
        .map(|c| {
            c.term_frequency.then(|| {
                let mut n = TermFrequencies::default();
                let mut total: f64 = 0.0;
                for p in people {
                    if let Some(k) = c.tf_key(p) {
                        match n.get_mut(k.as_ref()) {
                            Some(x) => *x += 1.0,
                            None => {
                                n.insert(k.into_owned(), 1.0);
                            }
                        }
                        total += 1.0;
                    }
                }
                n.values_mut().for_each(|v| *v /= total.max(1.0));
                n
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_levels_keep_m_within_zero_and_one_and_their_order() {
        // Level 1 (a rare skeleton match) came out weaker than level 2.
        let (m, u) = ([0.90, 0.001, 0.05, 0.049], [0.001, 0.002, 0.01, 0.987]);
        let fixed = monotone(&m, &u);
        let bf: Vec<f64> = fixed.iter().zip(&u).map(|(m, u)| m / u).collect();
        assert!(bf.windows(2).all(|w| w[0] >= w[1] - 1e-12), "{bf:?}");
        assert!(fixed.iter().all(|&x| (0.0..=1.0).contains(&x)), "{fixed:?}");
        assert!((fixed.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!(fixed[0], 0.90, "a level in order is left alone");
        // A level whose u is large and m small pools with its neighbour.
        let fixed = monotone(&[0.5, 0.45, 0.05], &[0.4, 0.1, 0.5]);
        assert!(fixed.iter().all(|&x| x <= 1.0));
        assert!((fixed[0] / 0.4 - fixed[1] / 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_neutral_else_counts_for_nothing_and_agreement_still_counts() {
        let mut settings = crate::shipped("survivors").unwrap();
        let at = settings.comparison("case").unwrap();
        let score = |settings: &crate::Settings| {
            let people = crate::tests::population();
            let linked = crate::link(&people, settings);
            (
                linked.model.level_weight(at, 0, None),
                linked.model.level_weight(at, 1, None),
            )
        };
        let (agree, differ) = score(&settings);
        assert!(agree > 5.0 && differ < 0.0, "learnt: {agree} {differ}");
        settings.comparisons[at].else_neutral = true;
        let (agree, differ) = score(&settings);
        assert!(agree > 5.0, "{agree}");
        assert_eq!(differ, 0.0);
    }
}
