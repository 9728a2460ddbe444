//! Case records into cases: one FIR, however many partners recorded it.
//!
//! Unlike survivors, a case carries an identifier the police gave it: the
//! FIR, numbered in sequence per police station and year. So cases are
//! linked by rules on shared identifiers, with the survivor linkage as
//! evidence where an identifier is incomplete (see [`super::entities`]).
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
//!
//! Keys follow the anchor rule of [`tafteesh_linkage::stable_keys`]. A case's anchor
//! is its smallest FIR identity when it has one, else its smallest record
//! id, so a case keeps its key as long as its FIR does.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::entities::{
    Bridge, EntitySummary, Grouped, PersonKeys, Row, Source, Tracker, blocks, differ, one_per_group, pairs, person_of,
    read_table, write_bridge,
};
use crate::error::Result;
use crate::lake::{dates, strings};
use crate::privacy::Pseudonymizer;
use tafteesh_parsers::text::place_key;

/// Per partner, per case_ref: the case key, and the one person the case
/// names (nested, so a claim row looks its case up without allocating).
pub type CaseOf = HashMap<Arc<str>, HashMap<String, (String, Option<String>)>>;

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

/// A case record's identifiers.
pub struct CaseRecord {
    pub station: Option<String>,
    pub fir: Option<(u64, i32)>,
    pub fir_date: Option<NaiveDate>,
    pub person: Option<String>,
}

/// The distinct police stations a group's records name. Most groups name
/// one, so one is held without a heap allocation (a million groups at a
/// million case records).
#[derive(Default)]
enum Stations<'a> {
    #[default]
    None,
    One(&'a str),
    Many(Vec<&'a str>),
}

impl<'a> Stations<'a> {
    fn as_slice(&self) -> &[&'a str] {
        match self {
            Stations::None => &[],
            Stations::One(s) => std::slice::from_ref(s),
            Stations::Many(v) => v,
        }
    }

    fn add(&mut self, s: &'a str) {
        match self {
            Stations::None => *self = Stations::One(s),
            Stations::One(x) if *x == s => {}
            Stations::One(x) => *self = Stations::Many(vec![*x, s]),
            Stations::Many(v) => {
                if !v.contains(&s) {
                    v.push(s)
                }
            }
        }
    }

    /// Whether two groups may join: one of them names no station, or they
    /// share one.
    fn may_join(&self, other: &Stations<'a>) -> bool {
        let (a, b) = (self.as_slice(), other.as_slice());
        a.is_empty() || b.is_empty() || a.iter().any(|s| b.contains(s))
    }

    fn merge(mut self, other: Stations<'a>) -> Stations<'a> {
        other.as_slice().iter().for_each(|s| self.add(s));
        self
    }
}

/// Group case records into cases by the rules in the module docs.
pub fn group_cases(rows: &[Row], recs: &[CaseRecord]) -> Grouped {
    let mut t = Tracker::new(recs.len());
    t.join_by_key(
        rows.iter().map(|r| Some((&r.partner_id, &r.entity_ref))),
        "partner_case_ref",
    );
    t.join_by_key(recs.iter().map(|r| Some((r.station.as_ref()?, r.fir?))), "fir");
    // The police stations each group holds, for the guard, by group root.
    let mut stations: Vec<Stations> = (0..recs.len()).map(|_| Stations::None).collect();
    for (i, r) in recs.iter().enumerate() {
        if let Some(s) = &r.station {
            stations[t.groups.find(i as u32) as usize].add(s);
        }
    }
    let compatible =
        |a: &CaseRecord, b: &CaseRecord| !differ(&a.station, &b.station) && !differ(&a.fir_date, &b.fir_date);
    // Two groups that each know a police station, and share none, stay apart.
    let mut guarded_join = |t: &mut Tracker, a: u32, b: u32, rule: &'static str| {
        let (ra, rb) = (t.groups.find(a), t.groups.find(b));
        if ra == rb || !stations[ra as usize].may_join(&stations[rb as usize]) {
            return;
        }
        let (sa, sb) = (
            std::mem::take(&mut stations[ra as usize]),
            std::mem::take(&mut stations[rb as usize]),
        );
        t.join(a, b, rule);
        stations[t.groups.find(a) as usize] = sa.merge(sb);
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

/// Each case record's anchor: its FIR identity when it has one, else its
/// partner and own id (see the module docs).
fn anchors(rows: &[Row], recs: &[CaseRecord]) -> Vec<String> {
    recs.iter()
        .zip(rows)
        .map(|(c, r)| match (&c.station, c.fir) {
            (Some(s), Some((n, y))) => format!("0|{s}|{n}|{y}"),
            _ => format!("1|{}\u{1f}{}", r.partner_id, r.entity_ref),
        })
        .collect()
}

/// The lake's case records with their identifiers, read once a night:
/// first for the relational evidence survivor linkage weighs
/// ([`CaseRecords::of_survivors`]), then, with the people it found, to link
/// the cases ([`link`]). Only what those need is kept (not the frames they
/// were read from), as survivors are linked meanwhile.
pub struct CaseRecords {
    rows: Vec<Row>,
    recs: Vec<CaseRecord>,
    /// Per record: the partner's survivor_ref it names (a pseudonym).
    survivors: Vec<Option<String>>,
}

impl CaseRecords {
    /// Read every partner's case records; none names a person yet.
    pub fn read(from: &Source<'_>) -> Result<CaseRecords> {
        // The FIR number as written (restricted): the lake publishes it only as
        // a pseudonym. The police station by its list's name where the list
        // knows it (`Canning P.S.` and `ক্যানিং থানা` are one station), else as
        // written.
        let cases = read_table(
            from,
            "cases",
            "case_ref",
            &["fir_date", "survivor_ref", "police_station"],
            &["police_station", "fir_number"],
        )?;
        let (stations, numbers, fir_dates, case_survivors) = (
            cases
                .column(|df| strings(df, "police_station"))
                .into_iter()
                .zip(cases.plain("police_station"))
                // A name two districts share is listed with its district:
                // compared without it, as a partner writes it.
                .map(|(known, written)| {
                    known
                        .map(|k| k.split(" (").next().unwrap_or(&k).to_string())
                        .or(written)
                })
                .collect::<Vec<_>>(),
            cases.plain("fir_number"),
            cases.column(|df| dates(df, "fir_date")),
            cases.column(|df| strings(df, "survivor_ref")),
        );
        // In parallel, in order: a police station's key and an FIR number are
        // worked out per record (1.3 million at a million survivors).
        use rayon::prelude::*;
        let recs: Vec<CaseRecord> = (0..cases.rows.len())
            .into_par_iter()
            .map(|i| CaseRecord {
                station: stations[i].as_deref().and_then(station_key),
                fir: numbers[i].as_deref().and_then(|n| fir_number(n, fir_dates[i])),
                fir_date: fir_dates[i],
                person: None,
            })
            .collect();
        Ok(CaseRecords {
            rows: cases.rows,
            recs,
            survivors: case_survivors,
        })
    }

    /// The case each survivor record is attached to, as survivor
    /// linkage's relational evidence: per partner, per survivor_ref, a label
    /// of the case its case records join by the rules that need no person
    /// (the partner's own case_ref, the FIR, the FIR number and date). Two
    /// partners' records of one survivor attached to one FIR then carry
    /// that as a comparison of their own; co-victims share the FIR too, so
    /// it is shared evidence, never a match alone. A survivor attached to
    /// several cases is labelled by the smallest. The label is the case's
    /// key-to-be (a keyed hash), so it says nothing of the FIR and stays the
    /// same while the case does.
    pub fn of_survivors(&self, pseudo: &Pseudonymizer) -> PersonKeys {
        let grouped = group_cases(&self.rows, &self.recs);
        let keys = tafteesh_linkage::stable_keys(&anchors(&self.rows, &self.recs), &grouped.group, |a| {
            format!("C-{}", &pseudo.token("case", a)[..16])
        });
        let mut out = PersonKeys::default();
        for ((row, survivor), key) in self.rows.iter().zip(&self.survivors).zip(keys) {
            let Some(survivor) = survivor else { continue };
            let by_ref = out.entry(row.partner_id.to_string()).or_default();
            match by_ref.get_mut(survivor) {
                Some(k) if *k <= key => {}
                Some(k) => *k = key,
                None => {
                    by_ref.insert(survivor.clone(), key);
                }
            }
        }
        out
    }
}

/// Link the lake's cases, using the people survivor linkage found, and
/// write `lake/link_cases/`. Returns, per partner case_ref, its case key and
/// the one person its case names, for the claims.
pub fn link(
    cases: CaseRecords,
    from: &Source<'_>,
    pseudo: &Pseudonymizer,
    people: &PersonKeys,
) -> Result<(EntitySummary, CaseOf)> {
    let started = std::time::Instant::now();
    let lap = |step: &str| tracing::debug!(step, seconds = started.elapsed().as_secs_f64(), "case linkage");
    let CaseRecords {
        rows,
        mut recs,
        survivors,
    } = cases;
    // Each record's person, now survivor linkage has found them.
    {
        use rayon::prelude::*;
        recs.par_iter_mut()
            .zip(&rows)
            .zip(&survivors)
            .for_each(|((c, r), s)| c.person = person_of(people, &r.partner_id, s.as_deref()));
    }
    drop(survivors);
    lap("persons");
    let grouped = group_cases(&rows, &recs);
    lap("grouped");
    let case_keys = tafteesh_linkage::stable_keys(&anchors(&rows, &recs), &grouped.group, |a| {
        format!("C-{}", &pseudo.token("case", a)[..16])
    });
    lap("keyed");
    // A case's survivor: the one person its records name (a partner that
    // keeps no survivor register, like the lawyers', still names a case).
    let persons = one_per_group(&grouped.group, recs.iter().map(|c| c.person.as_ref()));
    let mut case_of = CaseOf::new();
    for ((r, k), person) in rows.iter().zip(&case_keys).zip(persons) {
        case_of
            .entry(r.partner_id.clone())
            .or_default()
            .insert(r.entity_ref.clone(), (k.clone(), person.map(str::to_string)));
    }
    lap("case_of");
    let case_summary = write_bridge(
        from.lake,
        Bridge {
            table: "link_cases",
            ref_col: "case_ref",
            key_col: "case_key",
        },
        &rows,
        case_keys.clone(),
        &grouped,
        vec![],
    )?;
    lap("written");
    Ok((case_summary, case_of))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::entities::fixtures::{d, row};

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

    #[test]
    fn versions_of_one_partner_ref_are_one_entity() {
        let g = cases(vec![
            case("a", "A1", "Kultali PS", "45/2021", "", ""),
            case("a", "A1", "Gosaba PS", "46/2021", "", ""),
        ]);
        assert_eq!(g[0], g[1]);
    }
}
