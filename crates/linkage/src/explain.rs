//! What a linkage did, told without a single value: the blocking rules'
//! pairs and coverage, m and u per level with what each was estimated
//! from, the match-weight distribution, cluster sizes, and the waterfall of
//! pairs near the threshold as levels. `link --explain` prints it; every
//! run writes it as an offline page beside the dashboard (`linkage.html`),
//! which is what a splink user looks at first.
//!
//! Nothing here may carry a name, a phone, a token or an id: labels of
//! levels and counts only.

use foldhash::{HashMap, HashMapExt};
use std::fmt::Write;

use serde::Serialize;

use super::blocking::BlockingReport;
use super::fields::NULL;
use super::model::{Person, log2_odds_of, weight_to_probability};
use super::{Linked, Settings};

/// One level of one comparison as trained.
#[derive(Debug, Clone, Serialize)]
pub struct LevelRow {
    pub comparison: String,
    pub level: String,
    pub m: f64,
    pub u: f64,
    pub weight: f64,
    pub contradicts: bool,
}

/// One comparison's estimation: its pairs, and whether m was trained.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRow {
    pub comparison: String,
    pub shared: bool,
    pub m_pairs: f64,
    pub u_pairs: f64,
}

impl ComparisonRow {
    /// Whether EM estimated m at all (else it is the starting value).
    pub fn m_trained(&self) -> bool {
        self.m_pairs > 0.0
    }
}

/// One pair near the threshold, as levels and weights.
#[derive(Debug, Clone, Serialize)]
pub struct Waterfall {
    pub weight: f64,
    pub probability: f64,
    pub linked: bool,
    /// (comparison, level label or "blank", weight added)
    pub steps: Vec<(String, String, Option<f64>)>,
}

/// The whole account, free of values.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub records: usize,
    pub clusters: usize,
    pub link_type: String,
    pub link_probability: f64,
    pub threshold_weight: f64,
    pub prior_weight: f64,
    pub lambda: f64,
    pub em_iterations: usize,
    /// Where tonight's model came from: trained in this run, or an earlier
    /// run's model reused (why, in run ids and counts only).
    pub model_origin: String,
    /// The most shared evidence alone may raise a pair to (None: no limit).
    pub shared_limit: Option<f64>,
    pub blocking: BlockingReport,
    pub comparisons: Vec<ComparisonRow>,
    pub levels: Vec<LevelRow>,
    /// (lower edge, pairs) of match weights in steps of 4.
    pub histogram: Vec<(f64, usize)>,
    pub pairs_linked: usize,
    /// (cluster size, clusters).
    pub cluster_sizes: Vec<(usize, usize)>,
    pub near_threshold: Vec<Waterfall>,
}

/// The weight a probability corresponds to.
/// What the page says of all the weights: a histogram in bins 4 wide, the
/// pairs linked, and the twelve pairs nearest the threshold (by index, the
/// nearest first; ties go to the lower index).
struct WeightSummary {
    bins: std::collections::BTreeMap<i64, usize>,
    pairs_linked: usize,
    nearest: Vec<usize>,
}

impl WeightSummary {
    /// One parallel pass over the weights (32 million at a million
    /// records, against three passes one after another). The twelve
    /// nearest of each chunk, without sorting millions of pairs, then the
    /// twelve nearest of those: `nearer` is a total order, so they are the
    /// twelve nearest of all.
    fn of(weights: &[f64], threshold_weight: f64, link_probability: f64) -> WeightSummary {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        let nearer = |&a: &usize, &b: &usize| {
            (weights[a] - threshold_weight)
                .abs()
                .total_cmp(&(weights[b] - threshold_weight).abs())
                .then(a.cmp(&b))
        };
        let nearest = |mut order: Vec<usize>| {
            if order.len() > 12 {
                order.select_nth_unstable_by(12, nearer);
                order.truncate(12);
            }
            order
        };
        let (bins, pairs_linked, mut order) = weights
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(k, ws)| {
                let mut bins: HashMap<i64, usize> = HashMap::new();
                let mut linked = 0;
                for w in ws {
                    *bins.entry((w / 4.0).floor() as i64).or_default() += 1;
                    linked += usize::from(weight_to_probability(*w) >= link_probability);
                }
                (bins, linked, nearest((k * CHUNK..k * CHUNK + ws.len()).collect()))
            })
            .reduce(
                || (HashMap::new(), 0, Vec::new()),
                |(mut bins, n, mut order), (b, m, o)| {
                    for (bin, count) in b {
                        *bins.entry(bin).or_default() += count;
                    }
                    order.extend(o);
                    (bins, n + m, nearest(order))
                },
            );
        order.sort_by(nearer);
        WeightSummary {
            bins: bins.into_iter().collect(),
            pairs_linked,
            nearest: order,
        }
    }
}

impl Explained {
    /// The account of a night that reused an earlier run's model: `reason`
    /// says which run trained it and how much changed since.
    pub fn reused(mut self, reason: &str) -> Explained {
        self.model_origin = format!("not trained tonight but reused: {reason}");
        self
    }

    pub fn new(linked: &Linked, people: &[Person], settings: &Settings) -> Explained {
        let m = &linked.model;
        let cmp = &linked.comparisons;
        let comparisons = cmp
            .list
            .iter()
            .enumerate()
            .map(|(c, x)| ComparisonRow {
                comparison: x.name.clone(),
                shared: x.shared,
                m_pairs: m.m_pairs[c],
                u_pairs: m.u_pairs[c],
            })
            .collect();
        let levels = cmp
            .list
            .iter()
            .enumerate()
            .flat_map(|(c, x)| {
                x.labels.iter().enumerate().map(move |(l, label)| LevelRow {
                    comparison: x.name.clone(),
                    level: label.clone(),
                    m: m.m[c][l],
                    u: m.u[c][l],
                    weight: m.level_weight(c, l as u8, None),
                    contradicts: x.contradicts[l],
                })
            })
            .collect();
        let threshold_weight = log2_odds_of(settings.link_probability);
        let mut size: HashMap<u32, usize> = HashMap::new();
        linked.cluster.iter().for_each(|c| *size.entry(*c).or_default() += 1);
        let mut sizes: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
        size.values().for_each(|s| *sizes.entry(*s).or_default() += 1);
        let WeightSummary {
            bins,
            pairs_linked,
            nearest: order,
        } = WeightSummary::of(&linked.weights, threshold_weight, settings.link_probability);
        let near_threshold = order
            .into_iter()
            .take(12)
            .map(|i| {
                let (a, _) = linked.pairs[i];
                let lv = &linked.levels_of(i);
                let added = m.waterfall(lv, |c| linked.tf(people, a, lv, c));
                let steps = cmp
                    .list
                    .iter()
                    .enumerate()
                    .map(|(c, x)| {
                        let label = if lv[c] == NULL {
                            "blank".to_string()
                        } else {
                            x.labels[lv[c] as usize].clone()
                        };
                        (x.name.clone(), label, added[c])
                    })
                    .collect();
                let w = linked.weights[i];
                Waterfall {
                    weight: w,
                    probability: weight_to_probability(w),
                    linked: weight_to_probability(w) >= settings.link_probability,
                    steps,
                }
            })
            .collect();
        Explained {
            records: people.len(),
            clusters: size.len(),
            link_type: serde_json::to_value(settings.link_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            link_probability: settings.link_probability,
            threshold_weight,
            prior_weight: log2_odds_of(m.lambda),
            lambda: m.lambda,
            em_iterations: m.em_iterations,
            model_origin: "trained in this run".into(),
            shared_limit: m.shared_limit,
            blocking: linked.blocking.clone(),
            comparisons,
            levels,
            histogram: bins.into_iter().map(|(k, n)| (k as f64 * 4.0, n)).collect(),
            pairs_linked,
            cluster_sizes: sizes.into_iter().collect(),
            near_threshold,
        }
    }

    /// The blocking table as text.
    pub fn blocking_text(report: &BlockingReport) -> String {
        let mut out = String::new();
        let share = |n: usize| 100.0 * n as f64 / report.records.max(1) as f64;
        let _ = writeln!(
            out,
            "  {:<36} {:>12} {:>12} {:>8} {:>22}",
            "rule", "pairs", "new pairs", "skipped", "records with a pair"
        );
        for r in &report.rules {
            let _ = writeln!(
                out,
                "  {:<36} {:>12} {:>12} {:>8} {:>14} ({:>5.1}%)",
                r.rule,
                r.pairs,
                r.new_pairs,
                r.skipped_blocks,
                r.records_with_candidate,
                share(r.records_with_candidate)
            );
        }
        let _ = writeln!(
            out,
            "  {:<36} {:>12} {:>12} {:>8} {:>14} ({:>5.1}%)",
            "all rules",
            report.pairs,
            "",
            "",
            report.records_with_candidate,
            share(report.records_with_candidate)
        );
        if let Some(w) = report.warning() {
            let _ = writeln!(out, "  WARNING: {w}");
        }
        out
    }

    /// Everything as text, for `link --explain`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} records -> {} people (link type {})",
            self.records, self.clusters, self.link_type
        );
        let _ = writeln!(out, "\nblocking rules:");
        out.push_str(&Self::blocking_text(&self.blocking));
        let _ = writeln!(
            out,
            "\nmodel ({}): prior (two random records match) {:.3e} (weight {:.2}), EM {} iterations{}",
            self.model_origin,
            self.lambda,
            self.prior_weight,
            self.em_iterations,
            self.shared_limit
                .map(|p| format!(", shared evidence alone raises a pair to probability {p} at most"))
                .unwrap_or_default()
        );
        for c in &self.comparisons {
            let _ = writeln!(
                out,
                "  {:<14} m from {:>10.0} expected matches{}   u from {:>8.0} random pairs{}",
                c.comparison,
                c.m_pairs,
                if c.m_trained() {
                    ""
                } else {
                    "  NOT TRAINED: m is the starting value"
                },
                c.u_pairs,
                if c.shared { "   (shared evidence)" } else { "" }
            );
        }
        let _ = writeln!(
            out,
            "\n  {:<14} {:<44} {:>8} {:>10} {:>8}",
            "comparison", "level", "m", "u", "weight"
        );
        let mut last = "";
        for l in &self.levels {
            let _ = writeln!(
                out,
                "  {:<14} {:<44} {:>8.4} {:>10.6} {:>8.2}{}",
                if l.comparison == last { "" } else { &l.comparison },
                l.level,
                l.m,
                l.u,
                l.weight,
                if l.contradicts { "  contradicts" } else { "" }
            );
            last = &l.comparison;
        }
        let _ = writeln!(
            out,
            "\nmatch weights of compared pairs (link at probability >= {}, weight >= {:.1}):",
            self.link_probability, self.threshold_weight
        );
        let max = self.histogram.iter().map(|h| h.1).max().unwrap_or(1).max(1);
        for (edge, n) in &self.histogram {
            let _ = writeln!(
                out,
                "  {:>6.0} .. {:<6.0} {n:>10} {}",
                edge,
                edge + 4.0,
                "#".repeat((n * 40).div_ceil(max))
            );
        }
        let _ = writeln!(out, "  {} pairs at or above the threshold", self.pairs_linked);
        let _ = writeln!(out, "\ncluster sizes:");
        for (s, n) in &self.cluster_sizes {
            let _ = writeln!(out, "  {s:>4} records: {n} people");
        }
        out
    }
}

/// Text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar, `share` of the full width, labelled by the caller.
fn bar(share: f64, class: &str) -> String {
    format!(
        "<span class=\"bar {class}\" style=\"width:{:.1}%\"></span>",
        (share * 100.0).clamp(0.0, 100.0)
    )
}

impl Explained {
    /// The account as one offline page (no scripts, no fonts, no links out).
    pub fn html(&self, run_id: &str) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tafteesh: how survivors were linked ({run})</title>
<style>
body{{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans Bengali",sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#1c1c1c}}
h1{{font-size:1.4em}} h2{{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}}
.scroll{{overflow-x:auto}} table{{border-collapse:collapse;font-variant-numeric:tabular-nums}}
th,td{{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}}
th:first-child,td:first-child,td.l,th.l{{text-align:left}}
.bar{{display:inline-block;height:.8em;background:#4a6fa5;vertical-align:middle}}
.bar.neg{{background:#b5523b}} .bar.link{{background:#2e7d4f}}
.w{{display:inline-block;min-width:12em}} .note{{color:#555;max-width:70ch}}
.warn{{background:#fff3cd;border:1px solid #e0c060;padding:.5em .8em}}
.untrained{{color:#b5523b;font-weight:600}}
@media print{{.scroll{{overflow:visible}} body{{max-width:none}}}}
</style></head><body>
<h1>How survivor records were linked</h1>
<p class="note">Run {run}. {records} survivor records became {clusters} people
(link type {lt}; a pair is linked at match probability &ge; {p}, weight &ge; {tw:.1}).
This page holds counts, levels and weights only: no name, phone, identifier or token.</p>
"#,
            run = esc(run_id),
            records = self.records,
            clusters = self.clusters,
            lt = esc(&self.link_type),
            p = self.link_probability,
            tw = self.threshold_weight,
        );
        self.blocking_html(&mut h);
        self.model_html(&mut h);
        self.weights_html(&mut h);
        self.clusters_html(&mut h);
        self.waterfalls_html(&mut h);
        h.push_str("</body></html>\n");
        h
    }

    /// The blocking rules: the pairs each compared, and the records each gave a candidate.
    fn blocking_html(&self, h: &mut String) {
        let b = &self.blocking;
        let share = |n: usize| n as f64 / b.records.max(1) as f64;
        h.push_str("<h2>Blocking: which pairs were compared</h2>\n");
        if let Some(w) = b.warning() {
            let _ = writeln!(h, "<p class=\"warn\">{}</p>", esc(&w));
        }
        h.push_str("<div class=\"scroll\"><table><tr><th>rule</th><th>pairs</th><th>new pairs</th><th>blocks skipped</th><th class=\"l\">records given a candidate</th></tr>\n");
        for r in &b.rules {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\"><span class=\"w\">{}</span> {:.1}%</td></tr>",
                esc(&r.rule),
                r.pairs,
                r.new_pairs,
                r.skipped_blocks,
                bar(share(r.records_with_candidate), ""),
                100.0 * share(r.records_with_candidate)
            );
        }
        let _ = writeln!(
            h,
            "<tr><th>all rules</th><th>{}</th><th></th><th></th><th class=\"l\">{} of {} records ({:.1}%)</th></tr></table></div>",
            b.pairs,
            b.records_with_candidate,
            b.records,
            100.0 * share(b.records_with_candidate)
        );
    }

    /// The model: m and u per comparison and level, and the weight each level adds.
    fn model_html(&self, h: &mut String) {
        let _ = writeln!(
            h,
            "<h2>The model: m and u per level</h2><p class=\"note\">The model was {}. m: how often one person's records agree at this level; u: how often two different people's do (from random pairs). The weight is log<sub>2</sub>(m/u). The prior, two random records being one person, is {:.3e} (weight {:.2}); EM ran {} iterations when the model was trained. Shared evidence (household, rescue) counts for nothing on a pair where a level marked &ldquo;contradicts&rdquo; holds{}.</p>",
            esc(&self.model_origin),
            self.lambda,
            self.prior_weight,
            self.em_iterations,
            self.shared_limit
                .map(|p| format!(
                    ", and alone raises a pair to probability {p} at most: a name or a birth must carry it past the threshold"
                ))
                .unwrap_or_default()
        );
        h.push_str("<div class=\"scroll\"><table><tr><th>comparison</th><th>m from pairs (expected matches)</th><th>u from pairs</th><th class=\"l\">evidence</th></tr>\n");
        for c in &self.comparisons {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:.0}</td><td class=\"l\">{}</td></tr>",
                esc(&c.comparison),
                if c.m_trained() {
                    format!("{:.0}", c.m_pairs)
                } else {
                    "<span class=\"untrained\">not trained: starting value</span>".into()
                },
                c.u_pairs,
                if c.shared { "shared" } else { "personal" }
            );
        }
        h.push_str("</table></div>\n");
        let max_w = self.levels.iter().map(|l| l.weight.abs()).fold(1.0, f64::max);
        h.push_str("<div class=\"scroll\"><table><tr><th>comparison</th><th class=\"l\">level</th><th>m</th><th>u</th><th class=\"l\">weight</th></tr>\n");
        let mut last = "";
        for l in &self.levels {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"l\">{}{}</td><td>{:.4}</td><td>{:.6}</td><td class=\"l\"><span class=\"w\">{}</span>{:+.2}</td></tr>",
                if l.comparison == last {
                    String::new()
                } else {
                    esc(&l.comparison)
                },
                esc(&l.level),
                if l.contradicts { " <em>(contradicts)</em>" } else { "" },
                l.m,
                l.u,
                bar(l.weight.abs() / max_w, if l.weight < 0.0 { "neg" } else { "" }),
                l.weight
            );
            last = &l.comparison;
        }
        h.push_str("</table></div>\n");
    }

    /// How the compared pairs' weights fall, the linked ones in green.
    fn weights_html(&self, h: &mut String) {
        let max_n = self.histogram.iter().map(|x| x.1).max().unwrap_or(1).max(1) as f64;
        let _ = writeln!(
            h,
            "<h2>Match weights of the compared pairs</h2><p class=\"note\">{} pairs at or above the threshold (weight {:.1}), in green.</p><div class=\"scroll\"><table><tr><th>weight</th><th class=\"l\">pairs</th></tr>",
            self.pairs_linked, self.threshold_weight
        );
        for (edge, n) in &self.histogram {
            let class = if *edge >= self.threshold_weight { "link" } else { "" };
            let _ = writeln!(
                h,
                "<tr><td>{:.0} to {:.0}</td><td class=\"l\"><span class=\"w\">{}</span>{n}</td></tr>",
                edge,
                edge + 4.0,
                bar(*n as f64 / max_n, class)
            );
        }
        h.push_str("</table></div>\n");
    }

    /// People by number of records.
    fn clusters_html(&self, h: &mut String) {
        h.push_str("<h2>People by number of records</h2><div class=\"scroll\"><table><tr><th>records</th><th>people</th></tr>\n");
        for (s, n) in &self.cluster_sizes {
            let _ = writeln!(h, "<tr><td>{s}</td><td>{n}</td></tr>");
        }
        h.push_str("</table></div>\n");
    }

    /// The pairs nearest the threshold, each as the weight every comparison added.
    fn waterfalls_html(&self, h: &mut String) {
        h.push_str("<h2>Pairs nearest the threshold</h2><p class=\"note\">Each pair as the level it reached on each comparison and the weight that level added: where the model decides, and where its mistakes are.</p>\n");
        for (k, w) in self.near_threshold.iter().enumerate() {
            let _ = writeln!(
                h,
                "<h3>Pair {}: weight {:+.2}, probability {:.3}, {}</h3><div class=\"scroll\"><table><tr><th>comparison</th><th class=\"l\">level</th><th class=\"l\">weight added</th></tr><tr><td>prior</td><td class=\"l\"></td><td class=\"l\">{:+.2}</td></tr>",
                k + 1,
                w.weight,
                w.probability,
                if w.linked { "linked" } else { "not linked" },
                self.prior_weight
            );
            for (c, level, added) in &w.steps {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                    esc(c),
                    esc(level),
                    added.map_or("no evidence".to_string(), |x| format!("{x:+.2}"))
                );
            }
            h.push_str("</table></div>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunked pass gives what three plain passes give, over more
    /// weights than a chunk holds, with ties on both sides of the
    /// threshold (weights in quarter steps, so many are equally near).
    #[test]
    fn the_weight_summary_equals_a_plain_pass_over_every_weight() {
        let threshold = log2_odds_of(0.9);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let weights = (0..300_001)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x % 240) as f64 - 120.0) / 4.0
            })
            .collect::<Vec<f64>>();
        // The nearest of all, planted in later chunks, equally near on
        // both sides of the threshold.
        let planted = [5, 70_000, 70_001, 150_000, 299_999];
        let mut weights = weights;
        for (k, &i) in planted.iter().enumerate() {
            weights[i] = threshold + if k % 2 == 0 { 0.01 } else { -0.01 };
        }
        let got = WeightSummary::of(&weights, threshold, 0.9);

        let mut bins = std::collections::BTreeMap::new();
        for w in &weights {
            *bins.entry((w / 4.0).floor() as i64).or_insert(0) += 1;
        }
        let linked = weights.iter().filter(|w| weight_to_probability(**w) >= 0.9).count();
        let mut order: Vec<usize> = (0..weights.len()).collect();
        order.sort_by(|&a, &b| {
            (weights[a] - threshold)
                .abs()
                .total_cmp(&(weights[b] - threshold).abs())
                .then(a.cmp(&b))
        });
        order.truncate(12);

        assert_eq!(got.bins, bins);
        assert_eq!(got.pairs_linked, linked);
        assert_eq!(got.nearest, order);
        let mut first = got.nearest[..5].to_vec();
        first.sort();
        assert_eq!(first, planted);
    }

    #[test]
    fn the_weight_summary_of_few_or_no_weights_keeps_them_all() {
        let got = WeightSummary::of(&[3.0, -1.0, 9.5], 2.0, 0.5);
        assert_eq!(got.nearest, vec![0, 1, 2]);
        assert_eq!(got.pairs_linked, 2);
        let none = WeightSummary::of(&[], 2.0, 0.5);
        assert!(none.nearest.is_empty() && none.bins.is_empty() && none.pairs_linked == 0);
    }
}
