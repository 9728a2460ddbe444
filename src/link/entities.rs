//! Cases and claims: one FIR, one claim, however many partners recorded it.
//!
//! Unlike survivors, a case carries an identifier the police gave it: the
//! FIR, numbered in sequence per police station and year. A claim arises
//! from a case and a survivor. So these are linked by rules on shared
//! identifiers, with the survivor linkage as evidence where an identifier
//! is incomplete, not by a trained model.
//!
//! [`super::cases`] and [`super::claims`] hold each one's rules; this
//! module what they share: reading a lake table with each row's identity,
//! joining under named rules, and writing the bridge.
//!
//! Rules 3 and 4 for cases and 2 to 4 for claims are guarded against
//! chains: two cases merge only when they share a police station or one of
//! them knows none; two claims merge only when no record of one contradicts
//! any record of the other on linked case, scheme, application date or
//! amount awarded.

use foldhash::{HashMap, HashMapExt};
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::lake::{self, ints, read_columns, strings};
use tafteesh_linkage::union_find::{UnionFind, first_sharing_key};
use tafteesh_parsers::text::place_key;

/// A value known on both sides and different.
pub(super) fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// One source row of a linked table, as the bridge names it.
/// A partner and a file are named by many rows, so rows share them.
pub struct Row {
    pub partner_id: Arc<str>,
    pub entity_ref: String,
    pub source_file: Arc<str>,
    pub source_row: i64,
}

/// Per record: its group's root, and the rule that first joined it to
/// another record (None when it stands alone).
pub struct Grouped {
    pub group: Vec<u32>,
    pub rule: Vec<Option<&'static str>>,
    pub joined_by_rule: Vec<(&'static str, usize)>,
}

pub(super) struct Tracker {
    pub(super) groups: UnionFind,
    rule: Vec<Option<&'static str>>,
    joined_by_rule: Vec<(&'static str, usize)>,
}

impl Tracker {
    pub(super) fn new(n: usize) -> Self {
        Tracker {
            groups: UnionFind::new(n),
            rule: vec![None; n],
            joined_by_rule: Vec::new(),
        }
    }

    pub(super) fn join(&mut self, a: u32, b: u32, rule: &'static str) {
        if self.groups.union(a, b) {
            for i in [a, b] {
                self.rule[i as usize].get_or_insert(rule);
            }
            match self.joined_by_rule.last_mut() {
                Some((r, n)) if *r == rule => *n += 1,
                _ => self.joined_by_rule.push((rule, 1)),
            }
        }
    }

    /// Join every group of records sharing a key, under `rule`.
    pub(super) fn join_by_key<K: std::hash::Hash + Eq>(
        &mut self,
        keys: impl Iterator<Item = Option<K>>,
        rule: &'static str,
    ) {
        for (first, i) in first_sharing_key(keys) {
            self.join(first, i, rule);
        }
    }

    pub(super) fn finish(mut self) -> Grouped {
        Grouped {
            group: self.groups.labels(),
            rule: self.rule,
            joined_by_rule: self.joined_by_rule,
        }
    }
}

/// Records sharing a key, in blocks of two or more.
pub(super) fn blocks<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> Vec<Vec<u32>> {
    let mut by: HashMap<K, Vec<u32>> = HashMap::new();
    for (i, k) in keys.enumerate() {
        if let Some(k) = k {
            by.entry(k).or_default().push(i as u32);
        }
    }
    let mut out: Vec<Vec<u32>> = by.into_values().filter(|v| v.len() > 1).collect();
    out.sort_unstable();
    out
}

/// Every pair of records in a block, each once.
pub(super) fn pairs(block: &[u32]) -> impl Iterator<Item = (u32, u32)> + '_ {
    block
        .iter()
        .enumerate()
        .flat_map(move |(x, &a)| block[x + 1..].iter().map(move |&b| (a, b)))
}

/// The figures a run reports for one linked table.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EntitySummary {
    pub records: usize,
    pub entities: usize,
    /// Per rule: the joins it made (each join merges two groups).
    pub joined_by_rule: Vec<(String, usize)>,
}

/// The people survivor linkage found: per `partner_id`, `survivor_ref` ->
/// person_key (nested, so a case or claim row looks its survivor up
/// without building a key string).
pub type PersonKeys = HashMap<String, HashMap<String, String>>;

/// [`PersonKeys`] from record ids (`partner_id` U+001F `survivor_ref`) and
/// their person keys.
pub fn person_keys(ids: Vec<String>, keys: Vec<String>) -> PersonKeys {
    let mut out = PersonKeys::new();
    for (id, key) in ids.into_iter().zip(keys) {
        if let Some((partner, survivor)) = id.split_once('\u{1f}') {
            out.entry(partner.to_string())
                .or_default()
                .insert(survivor.to_string(), key);
        }
    }
    out
}

/// Free text for comparison: the place key with its words run together.
pub(super) fn text_key(s: &str) -> Option<String> {
    let k = place_key(s).replace(' ', "");
    (!k.is_empty()).then_some(k)
}

/// A partner's lake table read with its bridge identity per row, and the
/// values linkage compares as written (from the restricted area).
pub(super) struct Table {
    pub(super) rows: Vec<Row>,
    frames: Vec<DataFrame>,
    plain: HashMap<String, Vec<Option<String>>>,
}

/// Where a table's rows are read from: the lake (`columns`, as published)
/// and the restricted area (`plain`, as the partner wrote them: a police
/// station the list lacks, an FIR number, a scheme), joined by file and row.
pub struct Source<'a> {
    pub lake: &'a Path,
    pub restricted: &'a crate::layout::RestrictedDir,
}

pub(super) fn read_table(
    from: &Source<'_>,
    table: &str,
    ref_col: &str,
    columns: &[&str],
    plain_columns: &[&str],
) -> Result<Table> {
    let lake = from.lake;
    let mut rows: Vec<Row> = Vec::new();
    let mut frames = Vec::new();
    let mut plain: HashMap<String, Vec<Option<String>>> =
        plain_columns.iter().map(|c| (c.to_string(), Vec::new())).collect();
    let wanted: Vec<&str> = [ref_col, "source_file", "source_row"]
        .iter()
        .chain(columns)
        .copied()
        .collect();
    for (partner, path) in lake::partner_files(lake, table)? {
        let df = read_columns(&path, &wanted)?;
        let partner: Arc<str> = partner.into();
        let mut file_names: HashMap<String, Arc<str>> = HashMap::new();
        let refs = strings(&df, ref_col);
        let files = strings(&df, "source_file");
        let source_rows = ints(&df, "source_row");
        let mut keep = Vec::with_capacity(df.height());
        for (i, ((r, f), row)) in refs.into_iter().zip(files).zip(source_rows).enumerate() {
            // All three are required columns of every lake table.
            if let (Some(r), Some(f), Some(row)) = (r, f, row) {
                let source_file = file_names.entry(f).or_insert_with_key(|f| f.as_str().into()).clone();
                rows.push(Row {
                    partner_id: partner.clone(),
                    entity_ref: r,
                    source_file,
                    source_row: row,
                });
                keep.push(i as IdxSize);
            }
        }
        let kept = keep.len();
        let idx = IdxCa::from_vec("idx".into(), keep);
        let df = df
            .take(&idx)
            .map_err(Error::frame(format!("reading {}", path.display())))?;
        frames.push(df);
        // This partner's values as written, by the rows just kept.
        let plain_path = from.restricted.linkage_file(&partner, table);
        let plain_df = if plain_columns.is_empty() || !plain_path.exists() {
            None
        } else {
            Some(lake::read(&plain_path)?)
        };
        // Each kept row's place in the plaintext, found once for every
        // column (by borrowed file names, as survivors' linkage finds its).
        let files = plain_df.as_ref().map(|p| strings(p, "source_file")).unwrap_or_default();
        let file_rows = plain_df.as_ref().map(|p| ints(p, "source_row")).unwrap_or_default();
        let at: HashMap<(&str, i64), usize> = files
            .iter()
            .zip(&file_rows)
            .enumerate()
            .filter_map(|(j, (f, r))| Some(((f.as_deref()?, (*r)?), j)))
            .collect();
        let found: Vec<Option<usize>> = rows[rows.len() - kept..]
            .iter()
            .map(|r| at.get(&(&*r.source_file, r.source_row)).copied())
            .collect();
        for name in plain_columns {
            let values = plain_df.as_ref().map(|p| strings(p, name)).unwrap_or_default();
            let out = plain.get_mut(*name).expect("made for every plain column");
            out.extend(found.iter().map(|j| j.and_then(|j| values.get(j).cloned().flatten())));
        }
    }
    Ok(Table { rows, frames, plain })
}

impl Table {
    pub(super) fn column<T>(&self, read: impl Fn(&DataFrame) -> Vec<T>) -> Vec<T> {
        self.frames.iter().flat_map(read).collect()
    }

    /// A column read from the restricted area, as written, row by row.
    pub(super) fn plain(&self, name: &str) -> Vec<Option<String>> {
        self.plain
            .get(name)
            .cloned()
            .unwrap_or_else(|| vec![None; self.rows.len()])
    }
}

/// A bridge table: its name, the partner's own-id column and the key column.
pub(super) struct Bridge {
    pub(super) table: &'static str,
    pub(super) ref_col: &'static str,
    pub(super) key_col: &'static str,
}

pub(super) fn write_bridge(
    lake: &Path,
    Bridge {
        table,
        ref_col,
        key_col,
    }: Bridge,
    rows: &[Row],
    keys: Vec<String>,
    grouped: &Grouped,
    extra: Vec<Column>,
) -> Result<EntitySummary> {
    let mut size: HashMap<u32, i64> = HashMap::new();
    grouped.group.iter().for_each(|g| *size.entry(*g).or_default() += 1);
    let count_name = format!("records_in_{}", key_col.trim_end_matches("_key"));
    let mut columns = vec![
        Column::new(
            "partner_id".into(),
            rows.iter().map(|r| &*r.partner_id).collect::<Vec<_>>(),
        ),
        Column::new(
            ref_col.into(),
            rows.iter().map(|r| r.entity_ref.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source_file".into(),
            rows.iter().map(|r| &*r.source_file).collect::<Vec<_>>(),
        ),
        Column::new(
            "source_row".into(),
            rows.iter().map(|r| r.source_row).collect::<Vec<_>>(),
        ),
        Column::new(key_col.into(), keys),
        Column::new(
            count_name.as_str().into(),
            grouped.group.iter().map(|g| size[g]).collect::<Vec<_>>(),
        ),
        Column::new("linked_by".into(), grouped.rule.clone()),
    ];
    columns.extend(extra);
    let mut df = DataFrame::new_infer_height(columns).map_err(Error::frame(format!("building {table}")))?;
    lake::write_consortium(&mut df, lake, table)?;
    Ok(EntitySummary {
        records: rows.len(),
        entities: size.len(),
        joined_by_rule: grouped
            .joined_by_rule
            .iter()
            .map(|(r, n)| (r.to_string(), *n))
            .collect(),
    })
}

/// Per record: the one value its group's records hold (None when they hold
/// none, or more than one).
pub(super) fn one_per_group<'a>(
    group: &[u32],
    values: impl Iterator<Item = Option<&'a String>>,
) -> Vec<Option<&'a str>> {
    let mut seen: HashMap<u32, Option<&String>> = HashMap::new();
    for (g, v) in group.iter().zip(values) {
        if let Some(v) = v {
            let s = seen.entry(*g).or_insert(Some(v));
            if *s != Some(v) {
                *s = None;
            }
        }
    }
    group
        .iter()
        .map(|g| seen.get(g).copied().flatten().map(String::as_str))
        .collect()
}

/// The person survivor linkage found for a partner's survivor_ref.
pub(super) fn person_of(people: &PersonKeys, partner: &str, survivor_ref: Option<&str>) -> Option<String> {
    people.get(partner)?.get(survivor_ref?).cloned()
}

/// What the cases' and claims' tests build their records from.
#[cfg(test)]
pub(super) mod fixtures {
    use chrono::NaiveDate;

    use super::Row;

    pub fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    pub fn row(partner: &str, r: &str) -> Row {
        Row {
            partner_id: partner.into(),
            entity_ref: r.into(),
            source_file: "f.csv".into(),
            source_row: 1,
        }
    }
}
