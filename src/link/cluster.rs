//! Clustering scored pairs into people: links taken strongest first, with
//! a guard against chains (see [`cluster`]).

use super::Settings;
use super::union_find::UnionFind;

/// One scored pair.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
}

/// Clusters from scored pairs: links taken strongest first, each joining two
/// clusters only if no pair across them was scored as a cannot-link. A weak
/// link therefore cannot chain two people together when any pair of their
/// records clearly disagrees (two sisters with one guardian, one village).
/// Returns each record's cluster (a representative index).
pub fn cluster(n: usize, scored: &[Scored], settings: &Settings) -> Vec<u32> {
    // The probabilities as weights (log2 odds): one comparison per pair
    // instead of an exp2.
    let weight_of = |p: f64| (p / (1.0 - p)).log2();
    let (cannot_below, link_from) = (
        weight_of(settings.cannot_link_probability),
        weight_of(settings.link_probability),
    );
    let mut groups = UnionFind::new(n);
    // Each cluster's members as a ring: next[x] is the member after x, so
    // two clusters join by swapping one pointer each, with no list per
    // record; size[root] is the cluster's size.
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    // The cannot-links of each record, as one sorted list with offsets.
    let mut cannot: Vec<(u32, u32)> = scored
        .iter()
        .filter(|s| s.weight < cannot_below)
        .flat_map(|s| [(s.a, s.b), (s.b, s.a)])
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
    let mut links: Vec<&Scored> = scored.iter().filter(|s| s.weight >= link_from).collect();
    links.sort_by(|x, y| y.weight.total_cmp(&x.weight).then((x.a, x.b).cmp(&(y.a, y.b))));
    for s in links {
        let (ra, rb) = (groups.find(s.a), groups.find(s.b));
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
