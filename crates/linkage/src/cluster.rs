//! Clustering scored pairs into people: links taken strongest first, with
//! a guard against chains (see [`cluster`]).

use super::Settings;
use super::model::log2_odds_of;
use super::union_find::UnionFind;
use rayon::prelude::*;

/// Clusters from scored pairs: links taken strongest first, each joining two
/// clusters only if no pair across them was scored as a cannot-link. A weak
/// link therefore cannot chain two people together when any pair of their
/// records clearly disagrees (two sisters with one guardian, one village).
/// Returns each record's cluster (a representative index).
///
/// Then, with `sole_candidate_probability` set, a record without a name
/// (`nameless[i]`) still alone joins the one cluster its pairs point to
/// (see [`Settings::sole_candidate_probability`]), unless a pair across
/// them is a cannot-link.
pub fn cluster(n: usize, pairs: &[(u32, u32)], weights: &[f64], settings: &Settings, nameless: &[bool]) -> Vec<u32> {
    // The probabilities as weights: one comparison per pair instead of an
    // exp2.
    let (cannot_below, link_from) = (
        log2_odds_of(settings.cannot_link_probability),
        log2_odds_of(settings.link_probability),
    );
    let mut groups = UnionFind::new(n);
    // Each cluster's members as a ring: next[x] is the member after x, so
    // two clusters join by swapping one pointer each, with no list per
    // record; size[root] is the cluster's size.
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    // The cannot-links of each record, as one list with offsets (a record's
    // own in pair order, which no check depends on): counted, then filled,
    // in two passes over the pairs. Sorting them took most of a night's
    // clustering at a million records (tens of millions of cannot-links).
    let is_cannot = |k: usize| weights[k] < cannot_below;
    let start = super::starts(
        n,
        pairs
            .iter()
            .enumerate()
            .filter(|&(k, _)| is_cannot(k))
            .flat_map(|(_, &(a, b))| [a, b]),
    );
    let mut cannot = vec![0u32; start[n]];
    let mut filled = start.clone();
    for (k, &(a, b)) in pairs.iter().enumerate() {
        if is_cannot(k) {
            cannot[filled[a as usize]] = b;
            filled[a as usize] += 1;
            cannot[filled[b as usize]] = a;
            filled[b as usize] += 1;
        }
    }
    drop(filled);
    let cannot_of = |x: u32| cannot[start[x as usize]..start[x as usize + 1]].iter().copied();
    // Links by index, strongest first (ties in pair order).
    let mut links: Vec<u32> = (0..pairs.len() as u32)
        .filter(|&k| weights[k as usize] >= link_from)
        .collect();
    links.par_sort_by(|&x, &y| {
        weights[y as usize]
            .total_cmp(&weights[x as usize])
            .then(pairs[x as usize].cmp(&pairs[y as usize]))
    });
    for k in links {
        let (a, b) = pairs[k as usize];
        let (ra, rb) = (groups.find(a), groups.find(b));
        if ra == rb {
            continue;
        }
        // Look through the smaller cluster's cannot-links.
        let (small, big) = if size[ra as usize] <= size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let mut blocked = false;
        let mut x = small;
        loop {
            if cannot_of(x).any(|y| groups.find(y) == big) {
                blocked = true;
                break;
            }
            x = next[x as usize];
            if x == small {
                break;
            }
        }
        if blocked {
            continue;
        }
        groups.union(ra, rb);
        let root = groups.find(ra);
        next.swap(ra as usize, rb as usize);
        size[root as usize] = size[ra as usize] + size[rb as usize];
    }
    if let Some(p) = settings.sole_candidate_probability {
        // The nameless records' pairs near enough to count, grouped by the
        // nameless record.
        let (strong, rival) = (log2_odds_of(p), log2_odds_of(p) - 3.0);
        let mut near: Vec<(u32, u32, f64)> = pairs
            .iter()
            .zip(weights)
            .filter(|(_, w)| **w >= rival)
            .flat_map(|(&(a, b), &w)| [(a, b, w), (b, a, w)])
            .filter(|&(x, _, _)| nameless[x as usize])
            .collect();
        near.sort_unstable_by_key(|&(x, y, _)| (x, y));
        // Decided against the clusters as the links left them, so the
        // order records are visited in changes nothing.
        let mut joins = Vec::new();
        for group in near.chunk_by(|a, b| a.0 == b.0) {
            let x = group[0].0;
            if size[groups.find(x) as usize] != 1 {
                continue;
            }
            let target = groups.find(group[0].1);
            let sole = group.iter().all(|&(_, y, _)| groups.find(y) == target);
            let best = group.iter().map(|&(_, _, w)| w).fold(f64::NEG_INFINITY, f64::max);
            if sole && best >= strong && !cannot_of(x).any(|y| groups.find(y) == target) {
                joins.push((x, target));
            }
        }
        for (x, t) in joins {
            groups.union(x, t);
        }
    }
    groups.labels()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two people, each recorded three times, every record a cannot-link of
    /// every record of the other but one, and one weak link across them
    /// (that one): the link may not join them, whichever record holds the
    /// cannot-links, whichever way round a pair is written, in whatever
    /// order the pairs come.
    #[test]
    fn a_link_across_a_cannot_link_held_by_any_member_does_not_join() {
        let mut settings = crate::shipped("survivors").unwrap();
        settings.sole_candidate_probability = None;
        let (strong, weak, cannot) = (30.0, log2_odds_of(settings.link_probability) + 0.5, -30.0);
        let clusters = |scored: &[((u32, u32), f64)]| {
            let (pairs, weights): (Vec<(u32, u32)>, Vec<f64>) = scored.iter().copied().unzip();
            cluster(7, &pairs, &weights, &settings, &[false; 7])
        };
        // Records 0, 2, 4 are one person; 1, 3, 5 the other; 6 is alone.
        for (flip_links, flip_cannot) in [(false, false), (false, true), (true, false), (true, true)] {
            let pair = |flip: bool, a: u32, b: u32| if flip { (b, a) } else { (a, b) };
            let link = |a, b| pair(flip_links, a, b);
            let mut scored = vec![
                (link(0, 2), strong),
                (link(2, 4), strong),
                (link(1, 3), strong),
                (link(3, 5), strong),
                (link(4, 5), weak),
            ];
            for a in [0, 2, 4] {
                for b in [1, 3, 5] {
                    if (a, b) != (4, 5) {
                        scored.push((pair(flip_cannot, a, b), cannot));
                    }
                }
            }
            for turn in 0..scored.len() {
                scored.rotate_left(turn % 3 + 1);
                let c = clusters(&scored);
                assert_eq!((c[0], c[0]), (c[2], c[4]), "{scored:?}");
                assert_eq!((c[1], c[1]), (c[3], c[5]), "{scored:?}");
                assert_ne!(c[0], c[1], "{scored:?}");
                assert!(c[..6].iter().all(|&x| x != c[6]));
            }
            // Without the cannot-links, the weak link joins them.
            let links: Vec<((u32, u32), f64)> = scored.iter().copied().filter(|s| s.1 > 0.0).collect();
            let c = clusters(&links);
            assert_eq!(c[0], c[1]);
        }
    }
}
