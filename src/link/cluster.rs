//! Clustering scored pairs into people: links taken strongest first, with
//! a guard against chains (see [`cluster`]).

use super::Settings;
use super::model::log2_odds_of;
use super::union_find::UnionFind;

/// Clusters from scored pairs: links taken strongest first, each joining two
/// clusters only if no pair across them was scored as a cannot-link. A weak
/// link therefore cannot chain two people together when any pair of their
/// records clearly disagrees (two sisters with one guardian, one village).
/// Returns each record's cluster (a representative index).
pub fn cluster(n: usize, pairs: &[(u32, u32)], weights: &[f64], settings: &Settings) -> Vec<u32> {
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
    // The cannot-links of each record, as one sorted list with offsets.
    let mut cannot: Vec<(u32, u32)> = pairs
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w < cannot_below)
        .flat_map(|(&(a, b), _)| [(a, b), (b, a)])
        .collect();
    cannot.sort_unstable();
    let mut start = vec![0usize; n + 1];
    for &(a, _) in &cannot {
        start[a as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let cannot_of = |x: u32| cannot[start[x as usize]..start[x as usize + 1]].iter().map(|e| e.1);
    // Links by index, strongest first (ties in pair order).
    let mut links: Vec<u32> = (0..pairs.len() as u32)
        .filter(|&k| weights[k as usize] >= link_from)
        .collect();
    links.sort_by(|&x, &y| {
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
    groups.labels()
}
