//! What linkage keeps from one night to the next, so a night on which one
//! partner's export changed does not relink a million records from scratch.
//!
//! A Fellegi-Sunter linkage is global three times over: u is sampled from
//! random pairs of all records, m is trained on all blocked pairs, and the
//! term frequencies and `rare_slip` word counts are taken over all names.
//! One partner appending a row moves all of them a little, so every pair's
//! weight moves, and nothing a full relink computed could be kept. What
//! makes a night incremental is therefore a decision about the model, not a
//! cache: the model, with the word counts and term frequencies it scored
//! with, is *frozen* between trainings. Scored with a frozen model, a
//! pair's weight depends on its two records alone, so the weight an earlier
//! night gave a pair of unchanged records is the weight a full relink with
//! the same model gives it, and only pairs holding a changed record need
//! comparing.
//!
//! **The rule for training again** (see [`decide`]): the model is trained
//! on a night when there is no usable state (the first night, another
//! build, other linkage settings, another set of partners, a rollback),
//! when the run asks for it (`tafteesh run --retrain`), or when the records
//! changed since the last training (added, removed or edited, summed over
//! the nights since) exceed `retrain_after` (10%) of the records it was
//! trained on. A tenth of the records is well under what moves m and u in
//! the second decimal place on the bench data; the prior, which follows
//! the number of records, is held with the rest.
//!
//! Blocking runs over every record every night (it is cheap, and a block
//! that a new record pushes over `max_block` must drop its old pairs too),
//! so the pairs compared are exactly a full relink's; each pair whose two
//! records are unchanged, in the same order, takes its kept weight.
//! Clustering runs over all pairs. The person keys then follow the
//! stable-key rule as on any night.
//!
//! The state is restricted (its term frequencies and word counts derive
//! from names) and lives beside the model in the restricted area. A state
//! that does not read back (another format, truncated) is no error: the
//! night trains, and says why.
//!
//! Format: the magic, a JSON header (floats as their bits, so the model
//! reads back to the last bit), each record's digest, then the pairs and
//! their weights as columns, little-endian, and a checksum of it all: a
//! damaged state is not used.

use foldhash::{HashMap, HashMapExt};
use std::hash::{BuildHasher, Hash};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{Model, TermFrequencies};
use super::{Linked, Pair, Settings, Trained};

const MAGIC: &[u8; 8] = b"TFLINK01";

/// A record's identity and content as linkage reads them, digested: two
/// digests are equal only if the record is the same record with the same
/// values (128 bits: two different records sharing one is not a worry).
/// Its identity is its partner and the partner's own id, not its file and
/// row: a re-export that drops a row or carries tonight's date in its name
/// moves every later record, and a record that moved is not changed. Two
/// versions of one record with the same values (a partner exporting it
/// twice) share a digest, and so, under the frozen model, every weight.
pub type Digest = u128;

/// Digest anything hashable (a record's id and every field linkage reads).
pub fn digest(value: &impl Hash) -> Digest {
    let half = |seed| foldhash::quality::FixedState::with_seed(seed).hash_one(value) as u128;
    (half(0x7af7_ee5a_11c0) << 64) | half(0x5eed_0f1a_ce00)
}

/// What one night's linkage leaves for the next.
pub struct State {
    /// The build and linkage settings the state was made with.
    pub fingerprint: String,
    /// The partners, in the order their records were numbered.
    pub partners: Vec<String>,
    pub lineage: Lineage,
    pub trained: Trained,
    /// Per record, in the order linkage numbered them.
    pub digests: Vec<Digest>,
    /// Every pair scored, sorted, and its weight.
    pub pairs: Vec<Pair>,
    pub weights: Vec<f64>,
}

/// Where tonight's model came from: what the retrain rule counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lineage {
    /// The run that trained the model.
    pub trained_in: String,
    pub records_at_training: usize,
    /// Records added, removed or edited since the training, this night's
    /// included.
    pub changed_since_training: usize,
}

/// The weights an earlier night scored, looked up by tonight's records.
pub struct KeptWeights {
    /// Per record of tonight, its number in the state (`u32::MAX`: changed).
    old: Vec<u32>,
    /// The state's pairs as lists: state record `x`'s pairs with a
    /// higher-numbered record are `(x, seconds[k])` for `k` in
    /// `starts[x]..starts[x + 1]`, sorted. A pair is found in its record's
    /// few entries; a binary search of all the pairs (tens of millions on a
    /// large register) misses the cache at almost every step.
    starts: Vec<usize>,
    seconds: Vec<u32>,
    weights: Vec<f64>,
}

impl KeptWeights {
    /// The kept weight of the pair `(a, b)` of tonight's records, when both
    /// are unchanged and still in that order.
    pub fn weight(&self, (a, b): Pair) -> Option<f64> {
        let (x, y) = (self.old[a as usize], self.old[b as usize]);
        if x == u32::MAX || y == u32::MAX || x >= y {
            return None;
        }
        let (from, to) = (self.starts[x as usize], self.starts[x as usize + 1]);
        self.seconds[from..to]
            .binary_search(&y)
            .ok()
            .map(|k| self.weights[from + k])
    }

    /// `pairs` (sorted, each `(x, y)` with `x < y < records`) listed by
    /// their first record; `None` when they are not so.
    fn new(old: Vec<u32>, records: usize, pairs: Vec<Pair>, weights: Vec<f64>) -> Option<KeptWeights> {
        let sorted = pairs.windows(2).all(|w| w[0] < w[1]);
        if !sorted || pairs.iter().any(|&(x, y)| x >= y || y as usize >= records) || weights.len() != pairs.len() {
            return None;
        }
        Some(KeptWeights {
            old,
            starts: super::starts(records, pairs.iter().map(|&(x, _)| x)),
            seconds: pairs.into_iter().map(|(_, y)| y).collect(),
            weights,
        })
    }
}

/// The fingerprint a state must carry to be reused by this build with
/// these settings: `build_id` is the caller's build identity (the
/// pipeline's changes whenever any of its sources, this crate's included,
/// does), so a state is never reused by code that might score otherwise.
pub fn fingerprint(settings: &Settings, build_id: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    h.update(build_id.as_bytes());
    h.update(serde_json::to_vec(settings).expect("serialisable"));
    hex::encode(h.finalize())
}

/// The model's floats as their bits: JSON reads a float back to the
/// nearest, not always the same, value.
#[derive(Serialize, Deserialize)]
struct ModelBits {
    m: Vec<Vec<u64>>,
    u: Vec<Vec<u64>>,
    m_pairs: Vec<u64>,
    u_pairs: Vec<u64>,
    lambda: u64,
    shared_limit: Option<u64>,
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn floats(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&x| f64::from_bits(x)).collect()
}

#[derive(Serialize, Deserialize)]
struct Header {
    fingerprint: String,
    partners: Vec<String>,
    #[serde(flatten)]
    lineage: Lineage,
    model: Model,
    model_bits: ModelBits,
    words: Vec<Option<Vec<(u64, u32)>>>,
    /// Per comparison, (value, share as bits), sorted by value.
    tf: Vec<Option<Vec<(String, u64)>>>,
    records: usize,
    pairs: usize,
}

impl State {
    /// Read a state back; `Err` says, without any value, why it cannot be used.
    pub fn read(path: &Path) -> std::result::Result<State, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("no linkage state to reuse ({e})"))?;
        let mut r = Summed::new(BufReader::with_capacity(1 << 20, file));
        let bad = |what: &str| format!("the linkage state {} cannot be read ({what})", path.display());
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).map_err(|_| bad("empty"))?;
        if &magic != MAGIC {
            return Err(bad("another format"));
        }
        let len = read_u64(&mut r).map_err(|_| bad("truncated header"))? as usize;
        let mut header = vec![0u8; len];
        r.read_exact(&mut header).map_err(|_| bad("truncated header"))?;
        let h: Header = serde_json::from_slice(&header).map_err(|_| bad("header"))?;
        let digests: Vec<Digest> = read_column(&mut r, h.records, 16, |b| {
            u128::from_le_bytes(b.try_into().expect("16 bytes"))
        })
        .map_err(|_| bad("truncated records"))?;
        let a: Vec<u32> = read_column(&mut r, h.pairs, 4, |b| {
            u32::from_le_bytes(b.try_into().expect("4 bytes"))
        })
        .map_err(|_| bad("truncated pairs"))?;
        let b: Vec<u32> = read_column(&mut r, h.pairs, 4, |b| {
            u32::from_le_bytes(b.try_into().expect("4 bytes"))
        })
        .map_err(|_| bad("truncated pairs"))?;
        let weights: Vec<f64> = read_column(&mut r, h.pairs, 8, |b| {
            f64::from_bits(u64::from_le_bytes(b.try_into().expect("8 bytes")))
        })
        .map_err(|_| bad("truncated weights"))?;
        let sum = r.sum();
        let mut rest = Vec::new();
        r.inner.read_to_end(&mut rest).map_err(|_| bad("unreadable"))?;
        if rest != sum.to_le_bytes() {
            return Err(bad("its checksum does not match: damaged, or cut short"));
        }
        let mut model = h.model;
        let mb = h.model_bits;
        model.m = mb.m.iter().map(|v| floats(v)).collect();
        model.u = mb.u.iter().map(|v| floats(v)).collect();
        model.m_pairs = floats(&mb.m_pairs);
        model.u_pairs = floats(&mb.u_pairs);
        model.lambda = f64::from_bits(mb.lambda);
        model.shared_limit = mb.shared_limit.map(f64::from_bits);
        let tf =
            h.tf.into_iter()
                .map(|c| {
                    c.map(|v| {
                        v.into_iter()
                            .map(|(k, x)| (k, f64::from_bits(x)))
                            .collect::<TermFrequencies>()
                    })
                })
                .collect();
        Ok(State {
            fingerprint: h.fingerprint,
            partners: h.partners,
            lineage: h.lineage,
            trained: Trained {
                model: model.restored(),
                words: h.words,
                tf,
            },
            digests,
            pairs: a.into_iter().zip(b).collect(),
            weights,
        })
    }
}

/// A state to write: tonight's linkage, borrowed.
pub struct StateRef<'a> {
    fingerprint: String,
    partners: Vec<String>,
    lineage: Lineage,
    linked: &'a Linked,
    digests: Vec<Digest>,
}

impl<'a> StateRef<'a> {
    /// The state after a night's linkage.
    pub fn new(
        linked: &'a Linked,
        settings: &Settings,
        build_id: &str,
        partners: Vec<String>,
        digests: Vec<Digest>,
        lineage: Lineage,
    ) -> StateRef<'a> {
        StateRef {
            fingerprint: fingerprint(settings, build_id),
            partners,
            lineage,
            linked,
            digests,
        }
    }

    /// Write the state to `path` (through a temporary file beside it, so a
    /// crash leaves the old state or the new, never half of one). The
    /// caller names `path` in its error.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let l = self.linked;
        let m = &l.model;
        let header = Header {
            fingerprint: self.fingerprint.clone(),
            partners: self.partners.clone(),
            lineage: self.lineage.clone(),
            model: m.clone(),
            model_bits: ModelBits {
                m: m.m.iter().map(|v| bits(v)).collect(),
                u: m.u.iter().map(|v| bits(v)).collect(),
                m_pairs: bits(&m.m_pairs),
                u_pairs: bits(&m.u_pairs),
                lambda: m.lambda.to_bits(),
                shared_limit: m.shared_limit.map(f64::to_bits),
            },
            words: l.comparisons.word_counts(),
            tf: l
                .tf
                .iter()
                .map(|c| {
                    c.as_ref().map(|map| {
                        let mut v: Vec<(String, u64)> = map.iter().map(|(k, x)| (k.clone(), x.to_bits())).collect();
                        v.sort_unstable();
                        v
                    })
                })
                .collect(),
            records: self.digests.len(),
            pairs: l.pairs.len(),
        };
        let tmp = path.with_extension("bin.tmp");
        let write = || -> std::io::Result<()> {
            let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
            let mut w = Summed::new(file);
            let json = serde_json::to_vec(&header).expect("serialisable");
            w.write_all(MAGIC)?;
            w.write_all(&(json.len() as u64).to_le_bytes())?;
            w.write_all(&json)?;
            write_column(&mut w, &self.digests, |d| d.to_le_bytes())?;
            write_column(&mut w, &l.pairs, |&(a, _)| a.to_le_bytes())?;
            write_column(&mut w, &l.pairs, |&(_, b)| b.to_le_bytes())?;
            write_column(&mut w, &l.weights, |x| x.to_bits().to_le_bytes())?;
            let sum = w.sum();
            let mut file = w.inner;
            file.write_all(&sum.to_le_bytes())?;
            file.flush()
        };
        write()?;
        std::fs::rename(&tmp, path)
    }
}

/// A reader or writer that sums what passes through it (a 64-bit hash of
/// each 64 KiB block in turn, so the sum does not depend on how the bytes
/// were cut into writes and reads): the state ends with the sum, so a
/// damaged file is told from a good one instead of scoring pairs with
/// garbage.
struct Summed<T> {
    inner: T,
    hasher: foldhash::quality::FoldHasher<'static>,
    block: Vec<u8>,
}

const BLOCK: usize = 1 << 16;

impl<T> Summed<T> {
    fn new(inner: T) -> Self {
        Summed {
            inner,
            hasher: foldhash::quality::FixedState::with_seed(0x5717e).build_hasher(),
            block: Vec::with_capacity(BLOCK),
        }
    }

    fn add(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (BLOCK - self.block.len()).min(bytes.len());
            self.block.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.block.len() == BLOCK {
                std::hash::Hasher::write(&mut self.hasher, &self.block);
                self.block.clear();
            }
        }
    }

    fn sum(&self) -> u64 {
        let mut h = self.hasher.clone();
        std::hash::Hasher::write(&mut h, &self.block);
        std::hash::Hasher::finish(&h)
    }
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.add(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Summed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.add(&buf[..n]);
        Ok(n)
    }
}

fn read_u64(r: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Values as `N` bytes each, written in chunks (the reverse of
/// [`read_column`]): a write per value is slow over millions of values.
fn write_column<T, const N: usize>(
    w: &mut impl Write,
    values: &[T],
    bytes: impl Fn(&T) -> [u8; N],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(N * 65536);
    for chunk in values.chunks(65536) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&bytes(v));
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// `n` values of `width` bytes each, read in chunks.
fn read_column<T>(r: &mut impl Read, n: usize, width: usize, of: impl Fn(&[u8]) -> T) -> std::io::Result<Vec<T>> {
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; width * 65536];
    let mut left = n;
    while left > 0 {
        let k = left.min(65536);
        let chunk = &mut buf[..k * width];
        r.read_exact(chunk)?;
        out.extend(chunk.chunks_exact(width).map(&of));
        left -= k;
    }
    Ok(out)
}

/// What tonight's linkage does with the state an earlier night left.
pub enum Decision {
    /// Train the model, for the reason given.
    Train(String),
    /// Reuse the state's model and, where the run allows, its weights;
    /// `changed` records differ from the state's (`lineage` counts them).
    Reuse {
        trained: Box<Trained>,
        lineage: Lineage,
        kept: KeptWeights,
        changed: usize,
    },
}

/// Tonight's records matched to the state's by digest, in one map of the
/// state's: per record of tonight, the number of the state's (last) record
/// with its digest (`u32::MAX`: none); and how many records differ, those
/// added, removed or edited (an edit counts as one removed and one added),
/// each digest counted as often as it occurs: versions of one record can
/// share a digest.
fn match_records(before: &[Digest], tonight: &[Digest]) -> (Vec<u32>, usize) {
    // Per digest: the state's last record holding it, and how many more
    // the state holds than tonight.
    let mut index: HashMap<Digest, (u32, i64)> = HashMap::with_capacity(before.len());
    for (i, &d) in before.iter().enumerate() {
        let e = index.entry(d).or_insert((0, 0));
        *e = (i as u32, e.1 + 1);
    }
    let mut added = 0;
    let old = tonight
        .iter()
        .map(|d| match index.get_mut(d) {
            Some(e) => {
                e.1 -= 1;
                e.0
            }
            None => {
                added += 1;
                u32::MAX
            }
        })
        .collect();
    (
        old,
        added + index.values().map(|e| e.1.unsigned_abs() as usize).sum::<usize>(),
    )
}

/// Whether tonight reuses the `previous` state (see the module's rule).
pub fn decide(
    previous: std::result::Result<State, String>,
    settings: &Settings,
    build_id: &str,
    partners: &[String],
    digests: &[Digest],
) -> Decision {
    let state = match previous {
        Ok(s) => s,
        Err(why) => return Decision::Train(why),
    };
    if state.fingerprint != fingerprint(settings, build_id) {
        return Decision::Train("the build or the linkage settings changed since the model was trained".into());
    }
    if settings.retrain_after <= 0.0 {
        return Decision::Train("retrain_after is 0: the model is trained every night".into());
    }
    if state.partners != partners {
        return Decision::Train("the partners changed since the model was trained".into());
    }
    let (old, changed) = match_records(&state.digests, digests);
    let since = state.lineage.changed_since_training + changed;
    let limit = settings.retrain_after * state.lineage.records_at_training as f64;
    if since as f64 > limit {
        return Decision::Train(format!(
            "{since} records changed since the model was trained on {} ({:.1}%, over retrain_after {:.1}%)",
            state.lineage.records_at_training,
            100.0 * since as f64 / state.lineage.records_at_training.max(1) as f64,
            100.0 * settings.retrain_after
        ));
    }
    let Some(kept) = KeptWeights::new(old, state.digests.len(), state.pairs, state.weights) else {
        return Decision::Train("the linkage state's pairs are out of order".into());
    };
    Decision::Reuse {
        trained: Box::new(state.trained),
        lineage: Lineage {
            changed_since_training: since,
            ..state.lineage
        },
        kept,
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build identity the tests' states carry.
    const BUILD: &str = "test-build";
    use crate::tests::{population, settings};
    use crate::{link, relink};

    #[test]
    fn changed_records_are_counted_as_multisets_whatever_their_order() {
        let (a, b, c, d) = (digest(&"a"), digest(&"b"), digest(&"c"), digest(&"d"));
        let changed_records = |before: &[Digest], tonight: &[Digest]| match_records(before, tonight).1;
        // Each record of tonight finds the state's last record with its
        // digest, or none.
        assert_eq!(match_records(&[a, b, a], &[b, d, a]).0, [1, u32::MAX, 2]);
        // Moved (reordered) records are not changed.
        assert_eq!(changed_records(&[a, b, c], &[c, a, b]), 0);
        // One removed, one added; an edit is one of each.
        assert_eq!(changed_records(&[a, b, c], &[a, b]), 1);
        assert_eq!(changed_records(&[a, b], &[a, b, d]), 1);
        assert_eq!(changed_records(&[a, b, c], &[a, b, d]), 2);
        // Two versions sharing a digest: a third is one added, losing both
        // two removed; tonight holding more of them than the state is no
        // underflow.
        assert_eq!(changed_records(&[a, a, b], &[a, a, a, b]), 1);
        assert_eq!(changed_records(&[a, a, b], &[b]), 2);
        assert_eq!(changed_records(&[a], &[a, a, a, a]), 3);
        assert_eq!(changed_records(&[], &[]), 0);
    }

    fn digests(people: &[crate::model::Person]) -> Vec<Digest> {
        people.iter().map(|p| digest(&(p.source, format!("{:?}", p)))).collect()
    }

    /// Link the population, save the state, read it back.
    fn trained_state(dir: &Path) -> (Linked, State) {
        let people = population();
        let linked = link(&people, &settings());
        let path = dir.join("state.bin");
        StateRef::new(
            &linked,
            &settings(),
            BUILD,
            vec!["a".into(), "b".into(), "c".into()],
            digests(&people),
            Lineage {
                trained_in: "run-1".into(),
                records_at_training: people.len(),
                changed_since_training: 0,
            },
        )
        .write(&path)
        .unwrap();
        let state = State::read(&path).unwrap();
        (linked, state)
    }

    #[test]
    fn a_kept_weight_is_found_by_its_pair_and_only_by_it() {
        // Pairs of 300 state records, some records with none, some with
        // many; tonight's records are the state's in another order, with
        // a changed one (u32::MAX) every seventh.
        let records = 300u32;
        let mut pairs: Vec<Pair> = (0..records)
            .flat_map(|x| {
                (x + 1..records)
                    .filter(move |y| (x * 7 + y * 13) % (x % 5 + 2) == 0)
                    .map(move |y| (x, y))
            })
            .collect();
        pairs.sort_unstable();
        let weights: Vec<f64> = pairs
            .iter()
            .map(|&(x, y)| f64::from(x) * 1000.0 + f64::from(y))
            .collect();
        let old: Vec<u32> = (0..records)
            .map(|i| if i % 7 == 3 { u32::MAX } else { (i * 31) % records })
            .collect();
        let by_pair: std::collections::HashMap<Pair, f64> =
            pairs.iter().copied().zip(weights.iter().copied()).collect();
        let kept = KeptWeights::new(old.clone(), records as usize, pairs.clone(), weights.clone()).unwrap();
        let mut found = 0;
        for a in 0..records {
            for b in 0..records {
                let (x, y) = (old[a as usize], old[b as usize]);
                let expected = (x != u32::MAX && y != u32::MAX)
                    .then(|| by_pair.get(&(x, y)).copied())
                    .flatten();
                assert_eq!(kept.weight((a, b)), expected, "pair ({a}, {b})");
                found += usize::from(expected.is_some());
            }
        }
        assert!(found > 1000, "the test finds kept weights ({found})");
        // Pairs out of order, a pair naming a record the state lacks, or
        // a reversed pair: nothing kept.
        let mut shuffled = pairs.clone();
        shuffled.swap(10, 20);
        assert!(KeptWeights::new(old.clone(), records as usize, shuffled, weights.clone()).is_none());
        let mut outside = pairs.clone();
        *outside.last_mut().unwrap() = (records - 1, records);
        assert!(KeptWeights::new(old.clone(), records as usize, outside, weights.clone()).is_none());
        let mut reversed = pairs;
        reversed[0] = (reversed[0].1, reversed[0].0);
        assert!(KeptWeights::new(old, records as usize, reversed, weights).is_none());
    }

    #[test]
    fn a_state_reads_back_to_the_last_bit() {
        let dir = tempfile::tempdir().unwrap();
        let (linked, state) = trained_state(dir.path());
        let (m, k) = (&linked.model, &state.trained.model);
        assert_eq!(bits(&m.m.concat()), bits(&k.m.concat()));
        assert_eq!(bits(&m.u.concat()), bits(&k.u.concat()));
        assert_eq!(m.lambda.to_bits(), k.lambda.to_bits());
        assert_eq!(state.pairs, linked.pairs);
        assert_eq!(bits(&state.weights), bits(&linked.weights));
        assert_eq!(state.trained.words, linked.comparisons.word_counts());
        assert_eq!(state.trained.tf.len(), linked.tf.len());
        for (a, b) in state.trained.tf.iter().zip(&linked.tf) {
            assert_eq!(a.as_ref().map(|m| m.len()), b.as_ref().map(|m| m.len()));
            if let (Some(a), Some(b)) = (a, b) {
                assert!(a.iter().all(|(k, v)| b[k].to_bits() == v.to_bits()));
            }
        }
        // The read model scores every pair as the trained one did.
        let people = population();
        let again = relink(&people, &settings(), state.trained, |_| None);
        assert_eq!(bits(&again.weights), bits(&linked.weights));
        assert_eq!(again.cluster, linked.cluster);
        // A file cut short or damaged is no state, and says so.
        let path = dir.path().join("state.bin");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(State::read(&path).err().unwrap().contains("cut short"));
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(State::read(&path).err().unwrap().contains("truncated"));
        let mut damaged = bytes.clone();
        let at = damaged.len() - 20;
        damaged[at] ^= 0x10;
        std::fs::write(&path, &damaged).unwrap();
        assert!(State::read(&path).err().unwrap().contains("damaged"));
        std::fs::write(&path, &bytes).unwrap();
        assert!(State::read(&path).is_ok());
    }

    #[test]
    fn kept_weights_and_a_full_relink_with_the_same_model_agree() {
        let dir = tempfile::tempdir().unwrap();
        let (_, state) = trained_state(dir.path());
        // Tonight: the first record removed, one edited, two added (a new
        // spelling of an existing person and a stranger).
        let mut people = population();
        people.remove(0);
        people[10].village = Some("somewhere else".into());
        let mut twin = people[20].clone();
        twin.source = 2;
        twin.dob = None;
        people.push(twin);
        people.push(
            crate::model::Person {
                source: 1,
                ..Default::default()
            }
            .with_name(Some("Nobody Known")),
        );
        let partners: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let Decision::Reuse {
            trained, kept, changed, ..
        } = decide(Ok(state), &settings(), BUILD, &partners, &digests(&people))
        else {
            panic!("a handful of changes reuses the model");
        };
        assert_eq!(changed, 1 + 2 + 2, "one removed, one edited (out and in), two added");
        let fresh = || (*trained).clone();
        let incremental = relink(&people, &settings(), fresh(), |p| kept.weight(p));
        let full = relink(&people, &settings(), fresh(), |_| None);
        assert_eq!(incremental.pairs, full.pairs);
        assert_eq!(bits(&incremental.weights), bits(&full.weights));
        assert_eq!(incremental.cluster, full.cluster);
        assert_eq!(full.compared, full.pairs.len());
        assert!(
            incremental.compared * 10 < full.compared,
            "only the changed records' pairs are compared: {} of {}",
            incremental.compared,
            full.compared
        );
        // The new spelling joins her person.
        assert_eq!(incremental.cluster[20], incremental.cluster[people.len() - 2]);
    }

    #[test]
    fn the_model_is_trained_again_past_retrain_after_or_when_what_it_rests_on_changed() {
        let dir = tempfile::tempdir().unwrap();
        let read = || State::read(&dir.path().join("state.bin"));
        trained_state(dir.path());
        let people = population();
        let partners: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let n = people.len();
        // The first `k` records edited.
        let edited = |k: usize| -> Vec<Digest> {
            digests(&people)
                .into_iter()
                .enumerate()
                .map(|(i, d)| if i < k { d ^ 1 } else { d })
                .collect()
        };
        let trains = |d: Decision| matches!(d, Decision::Train(_));
        assert!(!trains(decide(read(), &settings(), BUILD, &partners, &edited(0))));
        // 4% of the records edited (8% changed: each is out and in): reused.
        assert!(!trains(decide(
            read(),
            &settings(),
            BUILD,
            &partners,
            &edited(n * 4 / 100)
        )));
        // 6% edited: 12% changed, over the 10% rule.
        let Decision::Train(why) = decide(read(), &settings(), BUILD, &partners, &edited(n * 6 / 100)) else {
            panic!("12% changed trains again");
        };
        assert!(why.contains("retrain_after"), "{why}");
        // The changes count over the nights since the training.
        let mut state = read().unwrap();
        state.lineage.changed_since_training = n * 9 / 100;
        assert!(trains(decide(
            Ok(state),
            &settings(),
            BUILD,
            &partners,
            &digests(&people)[..n - n / 50]
        )));
        // Another build, other partners, other settings, no state: trained.
        assert!(trains(decide(
            read(),
            &settings(),
            "another-build",
            &partners,
            &digests(&people)
        )));
        assert!(trains(decide(
            read(),
            &settings(),
            BUILD,
            &partners[..2],
            &digests(&people)
        )));
        let mut other = settings();
        other.link_probability = 0.9;
        assert!(trains(decide(read(), &other, BUILD, &partners, &digests(&people))));
        let mut every_night = settings();
        every_night.retrain_after = 0.0;
        assert!(trains(decide(
            read(),
            &every_night,
            BUILD,
            &partners,
            &digests(&people)
        )));
        assert!(trains(decide(
            Err("none".into()),
            &settings(),
            BUILD,
            &partners,
            &digests(&people)
        )));
    }
}
