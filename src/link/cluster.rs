//! Clustering scored pairs into people: links taken strongest first, with
//! a guard against chains (see [`cluster`]).

use super::Settings;
use super::model::weight_to_probability;
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
    let mut groups = UnionFind::new(n);
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    // The cannot-links of each record, as one sorted list with offsets.
    let mut cannot: Vec<(u32, u32)> = scored
        .iter()
        .filter(|s| weight_to_probability(s.weight) < settings.cannot_link_probability)
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
    let mut links: Vec<&Scored> = scored
        .iter()
        .filter(|s| weight_to_probability(s.weight) >= settings.link_probability)
        .collect();
    links.sort_by(|x, y| y.weight.total_cmp(&x.weight).then((x.a, x.b).cmp(&(y.a, y.b))));
    for s in links {
        let (ra, rb) = (groups.find(s.a), groups.find(s.b));
        if ra == rb {
            continue;
        }
        // Look across from the smaller cluster: the answer is the same either way.
        let (small, big) = if members[ra as usize].len() <= members[rb as usize].len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let looked = std::mem::take(&mut members[small as usize]);
        let blocked = looked.iter().any(|&x| cannot_of(x).any(|y| groups.find(y) == big));
        members[small as usize] = looked;
        if blocked {
            continue;
        }
        groups.union(ra, rb);
        let root = groups.find(ra);
        let (gone, kept) = if root == ra { (rb, ra) } else { (ra, rb) };
        let moved = std::mem::take(&mut members[gone as usize]);
        members[kept as usize].extend(moved);
    }
    groups.labels()
}
