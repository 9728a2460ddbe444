//! Union-find over record indices: the one structure every linkage uses
//! to join records into entities (people, cases, claims). The smaller
//! index is always the root, so a group's label does not depend on the
//! order of joins.

use foldhash::{HashMap, HashMapExt};

/// Union-find over record indices.
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = p;
            x = p;
        }
        x
    }

    /// Join the groups of `a` and `b`; the smaller index stays the root.
    /// Returns whether they were apart.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (root, child) = (ra.min(rb), ra.max(rb));
        self.parent[child as usize] = root;
        true
    }

    /// Join every group of records sharing a key (records without one stay).
    pub fn union_by_key<K: std::hash::Hash + Eq>(&mut self, keys: impl Iterator<Item = Option<K>>) {
        for (first, i) in first_sharing_key(keys) {
            self.union(first, i);
        }
    }

    pub fn labels(&mut self) -> Vec<u32> {
        (0..self.parent.len() as u32).map(|i| self.find(i)).collect()
    }
}

/// Per record holding a key some earlier record holds: (that first
/// record, this record).
pub fn first_sharing_key<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> Vec<(u32, u32)> {
    let mut first: HashMap<K, u32> = HashMap::with_capacity(keys.size_hint().0);
    let mut out = Vec::new();
    for (i, k) in keys.enumerate() {
        if let Some(k) = k {
            let f = *first.entry(k).or_insert(i as u32);
            if f != i as u32 {
                out.push((f, i as u32));
            }
        }
    }
    out
}
