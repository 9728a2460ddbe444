//! Cases and claims: one FIR, one claim, however many partners recorded it.
//!
//! Unlike survivors, a case carries an identifier the police gave it: the
//! FIR, numbered in sequence per police station and year. A claim arises
//! from a case and a survivor. So these are linked by rules on shared
//! identifiers, with the survivor linkage as evidence where an identifier
//! is incomplete, not by a trained model:
//!
//! Cases, in this order:
//! 1. `partner_case_ref`: the versions of one partner's case_ref.
//! 2. `fir`: the same police station (case, punctuation and a trailing
//!    "PS" / "Police Station" / "Thana" dropped), FIR number (digits,
//!    leading zeros dropped) and FIR year (from "123/2021", else the FIR
//!    date).
//! 3. `fir_number_and_survivor`: the same FIR number and year, and the same
//!    linked person, where nothing contradicts it (a police station or FIR
//!    date known on both sides and different).
//! 4. `fir_number_and_date`: the same FIR number and FIR date, where nothing
//!    contradicts it and the records with that number and date name at most
//!    one police station (two stations reach the same number on the same
//!    day often enough in a real register).
//!
//! Claims, in this order:
//! 1. `partner_claim_ref`: the versions of one partner's claim_ref.
//! 2. `case`: claims on the same linked case.
//! 3. `survivor_and_application_date`: claims of the same linked person
//!    filed on the same date. A claim's person is its survivor's, else
//!    the one person its linked case names.
//! 4. `survivor_with_one_other_claim`: a person whose claim records still
//!    form exactly two claims (a collective's register often names the
//!    survivor and nothing else of her claim).
//!
//! Rules 3 and 4 for cases and 2 to 4 for claims are guarded against
//! chains: two cases merge only when they share a police station or one of
//! them knows none; two claims merge only when no record of one contradicts
//! any record of the other on linked case, scheme, application date or
//! amount awarded.
//!
//! Keys follow the anchor rule of [`super::stable_keys`]. A case's anchor
//! is its smallest FIR identity when it has one, else its smallest record
//! id, so a case keeps its key as long as its FIR does.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::stage::{dates, ints, read_columns, strings};
use crate::config::reference::place_key;
use crate::error::{Error, Result};
use crate::privacy::Pseudonymizer;

/// Union-find over record indices.
pub struct Groups {
    parent: Vec<u32>,
}

impl Groups {
    pub fn new(n: usize) -> Self {
        Groups {
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
fn first_sharing_key<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> Vec<(u32, u32)> {
    let mut first: HashMap<K, u32> = HashMap::new();
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

/// A value known on both sides and different.
fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// A police station's comparable form: the gazetteer's place key (lower
/// case, punctuation dropped), a trailing "PS", "P.S.", "Police Station" or
/// "Thana" dropped, and the words run together.
pub fn station_key(s: &str) -> Option<String> {
    let key = place_key(s);
    let mut words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    const SUFFIXES: [&[&str]; 4] = [&["police", "station"], &["p", "s"], &["ps"], &["thana"]];
    if let Some(sfx) = SUFFIXES.iter().find(|sfx| words.ends_with(sfx)) {
        words.truncate(words.len() - sfx.len());
    }
    let key = words.concat();
    (!key.is_empty()).then_some(key)
}

/// The FIR number (its first run of digits, leading zeros dropped) and its
/// year: a 4-digit year after a `/` or `-` at the end of the number, else
/// the FIR date's year.
pub fn fir_number(number: &str, date: Option<NaiveDate>) -> Option<(u64, i32)> {
    let digits: String = number
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let n: u64 = digits.trim_start_matches('0').parse().ok()?;
    let tail = number.trim_end();
    let year = tail
        .rfind(['/', '-'])
        .map(|i| tail[i + 1..].trim())
        .filter(|y| y.len() == 4 && (y.starts_with("19") || y.starts_with("20")))
        .and_then(|y| y.parse().ok())
        .or(date.map(|d| d.year()))?;
    Some((n, year))
}

/// One source row of a linked table, as the bridge names it.
pub struct Row {
    pub partner_id: String,
    pub entity_ref: String,
    pub source_file: String,
    pub source_row: i64,
}

/// A case record's identifiers.
pub struct CaseRecord {
    pub station: Option<String>,
    pub fir: Option<(u64, i32)>,
    pub fir_date: Option<NaiveDate>,
    pub person: Option<String>,
}

/// A claim record's identifiers.
pub struct ClaimRecord {
    pub case: Option<String>,
    pub person: Option<String>,
    pub scheme: Option<String>,
    pub application_date: Option<NaiveDate>,
    pub awarded: Option<i64>,
}

/// Per record: its group's root, and the rule that first joined it to
/// another record (None when it stands alone).
pub struct Grouped {
    pub group: Vec<u32>,
    pub rule: Vec<Option<&'static str>>,
    pub joined_by_rule: Vec<(&'static str, usize)>,
}

struct Tracker {
    groups: Groups,
    rule: Vec<Option<&'static str>>,
    joined_by_rule: Vec<(&'static str, usize)>,
}

impl Tracker {
    fn new(n: usize) -> Self {
        Tracker {
            groups: Groups::new(n),
            rule: vec![None; n],
            joined_by_rule: Vec::new(),
        }
    }

    fn join(&mut self, a: u32, b: u32, rule: &'static str) {
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
    fn join_by_key<K: std::hash::Hash + Eq>(&mut self, keys: impl Iterator<Item = Option<K>>, rule: &'static str) {
        for (first, i) in first_sharing_key(keys) {
            self.join(first, i, rule);
        }
    }

    fn finish(mut self) -> Grouped {
        Grouped {
            group: self.groups.labels(),
            rule: self.rule,
            joined_by_rule: self.joined_by_rule,
        }
    }
}

/// Records sharing a key, in blocks of two or more.
fn blocks<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> Vec<Vec<u32>> {
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
fn pairs(block: &[u32]) -> impl Iterator<Item = (u32, u32)> + '_ {
    block
        .iter()
        .enumerate()
        .flat_map(move |(x, &a)| block[x + 1..].iter().map(move |&b| (a, b)))
}

/// Group case records into cases by the rules in the module docs.
pub fn group_cases(rows: &[Row], recs: &[CaseRecord]) -> Grouped {
    let mut t = Tracker::new(recs.len());
    t.join_by_key(
        rows.iter().map(|r| Some((&r.partner_id, &r.entity_ref))),
        "partner_case_ref",
    );
    t.join_by_key(recs.iter().map(|r| Some((r.station.as_ref()?, r.fir?))), "fir");
    // The police stations each group holds, for the guard.
    let mut stations: HashMap<u32, Vec<&str>> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        if let Some(s) = &r.station {
            let g = stations.entry(t.groups.find(i as u32)).or_default();
            if !g.contains(&s.as_str()) {
                g.push(s);
            }
        }
    }
    let compatible =
        |a: &CaseRecord, b: &CaseRecord| !differ(&a.station, &b.station) && !differ(&a.fir_date, &b.fir_date);
    // Two groups that each know a police station, and share none, stay apart.
    let mut guarded_join = |t: &mut Tracker, a: u32, b: u32, rule: &'static str| {
        let (ra, rb) = (t.groups.find(a), t.groups.find(b));
        if ra == rb {
            return;
        }
        let (sa, sb) = (
            stations.remove(&ra).unwrap_or_default(),
            stations.remove(&rb).unwrap_or_default(),
        );
        if !sa.is_empty() && !sb.is_empty() && !sa.iter().any(|s| sb.contains(s)) {
            stations.insert(ra, sa);
            stations.insert(rb, sb);
            return;
        }
        let mut merged = sa;
        merged.extend(sb.into_iter().filter(|s| !merged.contains(s)).collect::<Vec<_>>());
        t.join(a, b, rule);
        stations.insert(t.groups.find(a), merged);
    };
    for block in blocks(recs.iter().map(|r| Some((r.fir?, r.person.as_ref()?)))) {
        for (a, b) in pairs(&block) {
            if compatible(&recs[a as usize], &recs[b as usize]) {
                guarded_join(&mut t, a, b, "fir_number_and_survivor");
            }
        }
    }
    for block in blocks(recs.iter().map(|r| Some((r.fir?, r.fir_date?)))) {
        let mut named = block.iter().filter_map(|&i| recs[i as usize].station.as_deref());
        let first = named.next();
        if named.any(|s| Some(s) != first) {
            continue;
        }
        for (a, b) in pairs(&block) {
            if compatible(&recs[a as usize], &recs[b as usize]) {
                guarded_join(&mut t, a, b, "fir_number_and_date");
            }
        }
    }
    t.finish()
}

/// Group claim records into claims by the rules in the module docs.
pub fn group_claims(rows: &[Row], recs: &[ClaimRecord]) -> Grouped {
    let mut t = Tracker::new(recs.len());
    t.join_by_key(
        rows.iter().map(|r| Some((&r.partner_id, &r.entity_ref))),
        "partner_claim_ref",
    );
    let compatible = |a: &ClaimRecord, b: &ClaimRecord| {
        !differ(&a.case, &b.case)
            && !differ(&a.scheme, &b.scheme)
            && !differ(&a.application_date, &b.application_date)
            && !differ(&a.awarded, &b.awarded)
    };
    // Members of each group, for the guard: every pair across two groups
    // must be compatible.
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..recs.len() as u32 {
        members.entry(t.groups.find(i)).or_default().push(i);
    }
    let mut guarded_join = |t: &mut Tracker, a: u32, b: u32, rule: &'static str| {
        let (ra, rb) = (t.groups.find(a), t.groups.find(b));
        if ra == rb {
            return;
        }
        let ok = members[&ra].iter().all(|&x| {
            members[&rb]
                .iter()
                .all(|&y| compatible(&recs[x as usize], &recs[y as usize]))
        });
        if ok {
            t.join(a, b, rule);
            let (mut ma, mb) = (
                members.remove(&ra).unwrap_or_default(),
                members.remove(&rb).unwrap_or_default(),
            );
            ma.extend(mb);
            members.insert(t.groups.find(a), ma);
        }
    };
    for (keys, rule) in [
        (recs.iter().map(|r| r.case.clone()).collect::<Vec<_>>(), "case"),
        (
            recs.iter()
                .map(|r| Some(format!("{}|{}", r.person.as_ref()?, r.application_date?)))
                .collect(),
            "survivor_and_application_date",
        ),
    ] {
        for block in blocks(keys.into_iter()) {
            for (a, b) in pairs(&block) {
                guarded_join(&mut t, a, b, rule);
            }
        }
    }
    // A person whose claims still form exactly two groups: one claim
    // recorded twice, unless something in them differs.
    for block in blocks(recs.iter().map(|r| r.person.as_ref())) {
        let mut roots: Vec<u32> = block.iter().map(|&i| t.groups.find(i)).collect();
        roots.sort_unstable();
        roots.dedup();
        if let [a, b] = roots[..] {
            guarded_join(&mut t, a, b, "survivor_with_one_other_claim");
        }
    }
    t.finish()
}

/// The figures a run reports for one linked table.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EntitySummary {
    pub records: usize,
    pub entities: usize,
    /// Per rule: the joins it made (each join merges two groups).
    pub joined_by_rule: Vec<(String, usize)>,
}

/// The people survivor linkage found: `partner_id` U+001F `survivor_ref` -> person_key.
pub type PersonKeys = HashMap<String, String>;

/// Free text for comparison: the place key with its words run together.
fn text_key(s: &str) -> Option<String> {
    let k = place_key(s).replace(' ', "");
    (!k.is_empty()).then_some(k)
}

/// A partner's lake table read with its bridge identity per row.
struct Table {
    rows: Vec<Row>,
    frames: Vec<DataFrame>,
}

fn read_table(lake: &Path, table: &str, ref_col: &str, columns: &[&str]) -> Result<Table> {
    let mut rows = Vec::new();
    let mut frames = Vec::new();
    let wanted: Vec<&str> = [ref_col, "source_file", "source_row"]
        .iter()
        .chain(columns)
        .copied()
        .collect();
    for (partner, path) in super::stage::partner_files(lake, table)? {
        let df = read_columns(&path, &wanted)?;
        let refs = strings(&df, ref_col);
        let files = strings(&df, "source_file");
        let source_rows = ints(&df, "source_row");
        let mut keep = Vec::with_capacity(df.height());
        for i in 0..df.height() {
            // All three are required columns of every lake table.
            if let (Some(r), Some(f), Some(row)) = (&refs[i], &files[i], source_rows[i]) {
                rows.push(Row {
                    partner_id: partner.clone(),
                    entity_ref: r.clone(),
                    source_file: f.clone(),
                    source_row: row,
                });
                keep.push(i as IdxSize);
            }
        }
        let idx = IdxCa::from_vec("idx".into(), keep);
        let df = df
            .take(&idx)
            .map_err(Error::frame(format!("reading {}", path.display())))?;
        frames.push(df);
    }
    Ok(Table { rows, frames })
}

impl Table {
    fn column<T>(&self, read: impl Fn(&DataFrame) -> Vec<T>) -> Vec<T> {
        self.frames.iter().flat_map(read).collect()
    }
}

/// A bridge table: its name, the partner's own-id column and the key column.
struct Bridge {
    table: &'static str,
    ref_col: &'static str,
    key_col: &'static str,
}

fn write_bridge(
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
            rows.iter().map(|r| r.partner_id.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            ref_col.into(),
            rows.iter().map(|r| r.entity_ref.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source_file".into(),
            rows.iter().map(|r| r.source_file.as_str()).collect::<Vec<_>>(),
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
    let out = lake.join(table);
    std::fs::create_dir_all(&out).map_err(Error::io(&out))?;
    crate::ingest::write_parquet(&mut df, &out.join("consortium.parquet"))?;
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
fn one_per_group<'a>(group: &[u32], values: impl Iterator<Item = Option<&'a String>>) -> Vec<Option<&'a str>> {
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

/// Link the lake's cases and claims, using the people survivor linkage
/// found, and write `lake/link_cases/` and `lake/link_claims/`.
pub fn run(lake: &Path, pseudo: &Pseudonymizer, people: &PersonKeys) -> Result<(EntitySummary, EntitySummary)> {
    let cases = read_table(
        lake,
        "cases",
        "case_ref",
        &["police_station", "fir_number", "fir_date", "survivor_ref"],
    )?;
    let survivor = |partner: &str, r: Option<&str>| people.get(&format!("{partner}\u{1f}{}", r?)).cloned();
    let (stations, numbers, fir_dates, case_survivors) = (
        cases.column(|df| strings(df, "police_station")),
        cases.column(|df| strings(df, "fir_number")),
        cases.column(|df| dates(df, "fir_date")),
        cases.column(|df| strings(df, "survivor_ref")),
    );
    let recs: Vec<CaseRecord> = (0..cases.rows.len())
        .map(|i| CaseRecord {
            station: stations[i].as_deref().and_then(station_key),
            fir: numbers[i].as_deref().and_then(|n| fir_number(n, fir_dates[i])),
            fir_date: fir_dates[i],
            person: survivor(&cases.rows[i].partner_id, case_survivors[i].as_deref()),
        })
        .collect();
    let grouped = group_cases(&cases.rows, &recs);
    let anchors: Vec<String> = recs
        .iter()
        .zip(&cases.rows)
        .map(|(c, r)| match (&c.station, c.fir) {
            (Some(s), Some((n, y))) => format!("0|{s}|{n}|{y}"),
            _ => format!("1|{}\u{1f}{}", r.partner_id, r.entity_ref),
        })
        .collect();
    let case_keys = super::stable_keys(&anchors, &grouped.group, |a| {
        format!("C-{}", &pseudo.token("case", a)[..16])
    });
    // A case's survivor: the one person its records name (a partner that
    // keeps no survivor register, like the lawyers', still names a case).
    let person_of = one_per_group(&grouped.group, recs.iter().map(|c| c.person.as_ref()));
    let case_of: HashMap<(&str, &str), (&String, Option<&str>)> = cases
        .rows
        .iter()
        .zip(&case_keys)
        .zip(person_of)
        .map(|((r, k), person)| ((r.partner_id.as_str(), r.entity_ref.as_str()), (k, person)))
        .collect();
    let case_summary = write_bridge(
        lake,
        Bridge {
            table: "link_cases",
            ref_col: "case_ref",
            key_col: "case_key",
        },
        &cases.rows,
        case_keys.clone(),
        &grouped,
        vec![],
    )?;

    let claims = read_table(
        lake,
        "compensation_claims",
        "claim_ref",
        &[
            "case_ref",
            "survivor_ref",
            "scheme",
            "application_date",
            "awarded_amount_inr",
        ],
    )?;
    let (claim_cases, claim_survivors, schemes, applied, awarded) = (
        claims.column(|df| strings(df, "case_ref")),
        claims.column(|df| strings(df, "survivor_ref")),
        claims.column(|df| strings(df, "scheme")),
        claims.column(|df| dates(df, "application_date")),
        claims.column(|df| ints(df, "awarded_amount_inr")),
    );
    let recs: Vec<ClaimRecord> = (0..claims.rows.len())
        .map(|i| {
            let case = claim_cases[i]
                .as_deref()
                .and_then(|c| case_of.get(&(claims.rows[i].partner_id.as_str(), c)));
            ClaimRecord {
                case: case.map(|c| c.0.clone()),
                person: survivor(&claims.rows[i].partner_id, claim_survivors[i].as_deref())
                    .or_else(|| case.and_then(|c| c.1.map(str::to_string))),
                scheme: schemes[i].as_deref().and_then(text_key),
                application_date: applied[i],
                awarded: awarded[i],
            }
        })
        .collect();
    let grouped = group_claims(&claims.rows, &recs);
    let anchors: Vec<String> = claims
        .rows
        .iter()
        .map(|r| format!("{}\u{1f}{}", r.partner_id, r.entity_ref))
        .collect();
    let claim_keys = super::stable_keys(&anchors, &grouped.group, |a| {
        format!("K-{}", &pseudo.token("claim", a)[..16])
    });
    let claim_summary = write_bridge(
        lake,
        Bridge {
            table: "link_claims",
            ref_col: "claim_ref",
            key_col: "claim_key",
        },
        &claims.rows,
        claim_keys,
        &grouped,
        vec![
            Column::new(
                "case_key".into(),
                one_per_group(&grouped.group, recs.iter().map(|r| r.case.as_ref())),
            ),
            Column::new(
                "person_key".into(),
                one_per_group(&grouped.group, recs.iter().map(|r| r.person.as_ref())),
            ),
        ],
    )?;
    Ok((case_summary, claim_summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn row(partner: &str, r: &str) -> Row {
        Row {
            partner_id: partner.into(),
            entity_ref: r.into(),
            source_file: "f.csv".into(),
            source_row: 1,
        }
    }

    fn case(partner: &str, r: &str, station: &str, number: &str, date: &str, person: &str) -> (Row, CaseRecord) {
        let fir_date = d(date);
        (
            row(partner, r),
            CaseRecord {
                station: station_key(station),
                fir: fir_number(number, fir_date),
                fir_date,
                person: (!person.is_empty()).then(|| person.to_string()),
            },
        )
    }

    fn cases(list: Vec<(Row, CaseRecord)>) -> Vec<u32> {
        let (rows, recs): (Vec<_>, Vec<_>) = list.into_iter().unzip();
        group_cases(&rows, &recs).group
    }

    #[test]
    fn police_stations_and_fir_numbers_compare_in_their_plain_form() {
        for s in [
            "Kultali PS",
            "KULTALI P.S.",
            "kultali police station",
            "Kultali Thana",
            "Kultali",
        ] {
            assert_eq!(station_key(s).as_deref(), Some("kultali"), "{s}");
        }
        assert_eq!(station_key("D.B. Marg PS").as_deref(), Some("dbmarg"));
        assert_eq!(station_key("PS"), None);
        assert_eq!(fir_number("FIR No. 0045/2021", None), Some((45, 2021)));
        assert_eq!(fir_number("45 - 2021", None), Some((45, 2021)));
        assert_eq!(fir_number("45", d("2020-03-01")), Some((45, 2020)));
        assert_eq!(fir_number("45", None), None, "no year anywhere");
        assert_eq!(fir_number("not known", d("2020-03-01")), None);
    }

    #[test]
    fn one_fir_in_three_exports_is_one_case_whatever_each_left_blank() {
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "2021-05-07", "P1"),
            case("b", "B1", "KULTALI P.S.", "045/2021", "", ""),
            // No police station: joined by FIR number and the linked survivor.
            case("c", "C1", "", "45/2021", "", "P1"),
            // No police station, no survivor: joined by FIR number and date.
            case("d", "D1", "", "45/2021", "2021-05-07", ""),
        ]);
        assert!(g.iter().all(|x| *x == g[0]), "{g:?}");
    }

    #[test]
    fn the_same_fir_number_at_two_stations_or_on_two_dates_is_two_cases() {
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "2021-05-07", "P1"),
            case("b", "B1", "Gosaba PS", "45/2021", "2021-05-07", "P1"),
        ]);
        assert_ne!(g[0], g[1], "stations differ, survivor alike");
        let g = cases(vec![
            case("a", "A1", "", "45/2021", "2021-05-07", "P1"),
            case("b", "B1", "", "45/2021", "2021-06-07", "P1"),
        ]);
        assert_ne!(g[0], g[1], "dates differ");
        // A record without a station, date-matched to two stations' cases
        // with that number and date, joins neither.
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "2021-05-07", ""),
            case("b", "B1", "Gosaba PS", "45/2021", "2021-05-07", ""),
            case("c", "C1", "", "45/2021", "2021-05-07", ""),
        ]);
        assert!(g[0] != g[1] && g[2] != g[0] && g[2] != g[1], "{g:?}");
    }

    #[test]
    fn a_weak_record_cannot_chain_two_stations_cases_together() {
        // C1 has the number and survivor of both; each of A1 and B1 would
        // take it, but A1 and B1 name different stations.
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "", "P1"),
            case("c", "C1", "", "45/2021", "", "P1"),
            case("b", "B1", "Gosaba PS", "45/2021", "", "P1"),
        ]);
        assert_eq!(g[0], g[1]);
        assert_ne!(g[1], g[2]);
    }

    fn claim(partner: &str, r: &str, case: &str, person: &str, scheme: &str, applied: &str) -> (Row, ClaimRecord) {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        (
            row(partner, r),
            ClaimRecord {
                case: some(case),
                person: some(person),
                scheme: text_key(scheme),
                application_date: d(applied),
                awarded: None,
            },
        )
    }

    fn claims(list: Vec<(Row, ClaimRecord)>) -> Vec<u32> {
        let (rows, recs): (Vec<_>, Vec<_>) = list.into_iter().unzip();
        group_claims(&rows, &recs).group
    }

    #[test]
    fn claims_join_on_their_case_or_their_survivor_and_date() {
        let g = claims(vec![
            claim("a", "A1", "C1", "P1", "WB VCS 2017", "2021-01-05"),
            claim("b", "B1", "C1", "", "wb vcs 2017", ""),
            claim("c", "X9", "", "P1", "", "2021-01-05"),
        ]);
        assert!(g.iter().all(|x| *x == g[0]), "{g:?}");
        // Two schemes on one case are two claims.
        let g = claims(vec![
            claim("a", "A1", "C1", "P1", "WB VCS 2017", ""),
            claim("b", "B1", "C1", "P1", "NALSA 2018", ""),
        ]);
        assert_ne!(g[0], g[1]);
    }

    #[test]
    fn a_survivors_bare_claim_joins_only_when_she_has_one_other_claim() {
        let g = claims(vec![
            claim("a", "A1", "C1", "P1", "WB VCS 2017", "2021-01-05"),
            claim("c", "X9", "", "P1", "", ""),
        ]);
        assert_eq!(g[0], g[1]);
        // Two claims on two cases: the bare one could be either.
        let g = claims(vec![
            claim("a", "A1", "C1", "P1", "WB VCS 2017", "2021-01-05"),
            claim("a", "A2", "C2", "P1", "WB VCS 2017", "2023-01-05"),
            claim("c", "X9", "", "P1", "", ""),
        ]);
        assert!(g[2] != g[0] && g[2] != g[1], "{g:?}");
    }

    #[test]
    fn versions_of_one_partner_ref_are_one_entity() {
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "", ""),
            case("a", "A1", "Gosaba PS", "46/2021", "", ""),
        ]);
        assert_eq!(g[0], g[1]);
    }
}
