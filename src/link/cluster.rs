//! Clustering scored pairs into people: links taken strongest first, with
//! a guard against chains (see [`cluster`]).

use std::collections::HashMap;

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
    let mut cannot: HashMap<u32, Vec<u32>> = HashMap::new();
    for s in scored {
        if weight_to_probability(s.weight) < settings.cannot_link_probability {
            cannot.entry(s.a).or_default().push(s.b);
            cannot.entry(s.b).or_default().push(s.a);
        }
    }
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
        let blocked = members[small as usize].clone().into_iter().any(|x| {
            cannot
                .get(&x)
                .is_some_and(|ys| ys.iter().any(|&y| groups.find(y) == big))
        });
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
