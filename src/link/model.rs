//! Fellegi-Sunter record linkage, the way splink does it: blocking rules
//! choose the pairs worth comparing; each comparison puts a pair on an
//! ordered level (exact, close, else); m and u probabilities per level give
//! each pair a match weight. u (how often two different people agree by
//! chance) is estimated from random pairs; m (how often the same person
//! agrees) by expectation-maximisation over the blocked pairs. No labels.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::fields::{COMPARISONS, Levels, N, NAME, compare};
pub use super::person::Person;

/// The trained model: m and u per comparison and level, the prior, and
/// term frequencies of exact names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// The probability that two records drawn at random are the same
    /// person: the prior of every match weight.
    pub lambda: f64,
    pub em_iterations: usize,
    /// Pairs compared to estimate u.
    pub u_sample_pairs: usize,
}

const FLOOR: f64 = 1e-6;

impl Model {
    /// u from `sample` random pairs of `people` (seeded, so a run is reproducible).
    pub fn estimate_u(people: &[Person], sample: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut counts: Vec<Vec<f64>> = COMPARISONS.iter().map(|c| vec![1.0; c.levels.len()]).collect();
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
            for _ in 0..sample {
                let i = (next() % n) as usize;
                let j = (next() % n) as usize;
                if i == j {
                    continue;
                }
                for (c, l) in compare(&people[i], &people[j]).iter().enumerate() {
                    if let Some(l) = l {
                        counts[c][*l as usize] += 1.0;
                    }
                }
            }
        }
        normalise(counts)
    }

    /// Train m by EM, u held fixed, the way splink does: one session per
    /// blocking rule, on the pairs that rule created, where the comparisons
    /// the rule forced to agree are left out (every pair agrees on them, so
    /// they say nothing about m). Each comparison's m is the pair-weighted
    /// mean over the sessions that could estimate it. `sessions` lists, per
    /// rule, the comparisons it fixes and the indexes of its pairs.
    /// `prior` is the probability that two records drawn at random match.
    pub fn train(
        levels: &[Levels],
        sessions: &[(Vec<usize>, Vec<usize>)],
        u: Vec<Vec<f64>>,
        prior: f64,
        iterations: usize,
    ) -> Model {
        let start: Vec<Vec<f64>> = COMPARISONS
            .iter()
            .map(|c| {
                let k = c.levels.len();
                // Start: matches mostly agree.
                (0..k)
                    .map(|l| if l == 0 { 0.8 } else { 0.2 / (k - 1) as f64 })
                    .collect()
            })
            .collect();
        let mut sum: Vec<Vec<f64>> = start.iter().map(|r| vec![0.0; r.len()]).collect();
        let mut weight_of: Vec<f64> = vec![0.0; N];
        let mut done = 0;
        for (fixed, pairs) in sessions {
            if pairs.is_empty() || fixed.len() >= N {
                continue;
            }
            let mut m = start.clone();
            let mut lambda = 0.5;
            for it in 0..iterations {
                // A tenth of an observation per level: a level no match
                // showed in this data is unlikely, not impossible (ages are
                // often approximate). More would blunt the evidence of small
                // sessions: two sisters would then merge on guardian,
                // village and rescue day.
                let mut counts: Vec<Vec<f64>> = m.iter().map(|r| vec![0.1; r.len()]).collect();
                let mut total_p = 0.0;
                for &i in pairs {
                    let p = probability(&m, &u, lambda, &levels[i], fixed);
                    total_p += p;
                    for (c, l) in levels[i].iter().enumerate() {
                        if let Some(l) = l {
                            counts[c][*l as usize] += p;
                        }
                    }
                }
                let new_m = normalise(counts);
                let new_lambda = (total_p / pairs.len() as f64).clamp(1e-4, 0.9999);
                let shift = new_m
                    .iter()
                    .flatten()
                    .zip(m.iter().flatten())
                    .map(|(a, b)| (a - b).abs())
                    .fold((new_lambda - lambda).abs(), f64::max);
                m = new_m;
                lambda = new_lambda;
                done = done.max(it + 1);
                if shift < 1e-5 {
                    break;
                }
            }
            let n = pairs.len() as f64;
            for c in (0..N).filter(|c| !fixed.contains(c)) {
                for (l, x) in m[c].iter().enumerate() {
                    sum[c][l] += x * n;
                }
                weight_of[c] += n;
            }
        }
        let m = sum
            .into_iter()
            .zip(&weight_of)
            .zip(start)
            .map(|((row, &w), start)| {
                if w > 0.0 {
                    row.into_iter().map(|x| x / w).collect()
                } else {
                    start
                }
            })
            .collect();
        let m = monotone(m, &u);
        Model {
            m,
            u,
            lambda: prior.clamp(1e-12, 0.5),
            em_iterations: done,
            u_sample_pairs: 0,
        }
    }

    /// The pair's match weight (log2 Bayes factor plus prior). `tf_name`
    /// is the share of records holding the exact name both sides hold, for
    /// the term-frequency adjustment: agreeing on a common name is weaker
    /// evidence than agreeing on a rare one.
    pub fn weight(&self, levels: &Levels, tf_name: Option<f64>) -> f64 {
        let mut w = (self.lambda / (1.0 - self.lambda)).log2();
        for (c, l) in levels.iter().enumerate() {
            if let Some(l) = l {
                let (m, mut u) = (self.m[c][*l as usize], self.u[c][*l as usize]);
                if c == NAME
                    && *l == 0
                    && let Some(tf) = tf_name
                {
                    u = tf.max(u * 0.01);
                }
                w += (m.max(FLOOR) / u.max(FLOOR)).log2();
            }
        }
        w
    }
}

/// Levels are ordered best first, so a better level must never count as
/// weaker evidence than a worse one. EM can break that for a level the data
/// rarely shows (a Bengali-script name meeting its Latin spelling only by
/// skeleton); such an m is raised until its Bayes factor equals the next
/// worse level's. The rows are not renormalised: these are the factors used.
fn monotone(mut m: Vec<Vec<f64>>, u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    for (row, urow) in m.iter_mut().zip(u) {
        for l in (0..row.len().saturating_sub(1)).rev() {
            let worse = row[l + 1].max(FLOOR) / urow[l + 1].max(FLOOR);
            if row[l].max(FLOOR) / urow[l].max(FLOOR) < worse {
                row[l] = worse * urow[l].max(FLOOR);
            }
        }
    }
    m
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

fn probability(m: &[Vec<f64>], u: &[Vec<f64>], lambda: f64, lv: &Levels, skip: &[usize]) -> f64 {
    let mut log_bf = 0.0;
    for (c, l) in lv.iter().enumerate() {
        if skip.contains(&c) {
            continue;
        }
        if let Some(l) = l {
            log_bf += (m[c][*l as usize].max(FLOOR) / u[c][*l as usize].max(FLOOR)).ln();
        }
    }
    let prior = (lambda / (1.0 - lambda)).ln();
    1.0 / (1.0 + (-(prior + log_bf)).exp())
}

/// Probability from a match weight.
pub fn weight_to_probability(w: f64) -> f64 {
    1.0 / (1.0 + 2f64.powf(-w))
}

/// Share of records per exact canonical name.
pub fn name_frequencies(people: &[Person]) -> HashMap<String, f64> {
    let mut n: HashMap<String, f64> = HashMap::new();
    let mut total: f64 = 0.0;
    for p in people {
        if let Some(k) = &p.name {
            *n.entry(k.canonical.clone()).or_default() += 1.0;
            total += 1.0;
        }
    }
    n.values_mut().for_each(|v| *v /= total.max(1.0));
    n
}
