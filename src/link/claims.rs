//! Claim records into claims: one compensation claim, however many
//! partners recorded it. A claim arises from a case and a survivor, so
//! claims are linked by rules on the linked case and person (see
//! [`super::entities`]).
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

use foldhash::{HashMap, HashMapExt};

use chrono::NaiveDate;
use polars::prelude::*;

use super::cases::CaseOf;
use super::entities::{
    Bridge, EntitySummary, Grouped, PersonKeys, Row, Source, Tracker, blocks, differ, one_per_group, pairs, person_of,
    read_table, text_key, write_bridge,
};
use crate::error::Result;
use crate::lake::{dates, ints, strings};
use crate::privacy::Pseudonymizer;

/// A claim record's identifiers.
pub struct ClaimRecord {
    pub case: Option<String>,
    pub person: Option<String>,
    pub scheme: Option<String>,
    pub application_date: Option<NaiveDate>,
    pub awarded: Option<i64>,
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

/// Link the lake's claims, using the people survivor linkage found and the
/// cases, and write `lake/link_claims/`.
pub fn link(from: &Source<'_>, pseudo: &Pseudonymizer, people: &PersonKeys, case_of: &CaseOf) -> Result<EntitySummary> {
    // The scheme by its list's name where the list knows it (`WBVCS 2017`
    // and `WB Victim Compensation Scheme 2017` are one), else as written
    // (restricted: the lake publishes only a scheme its list knows).
    let claims = read_table(
        from,
        "compensation_claims",
        "claim_ref",
        &[
            "case_ref",
            "survivor_ref",
            "scheme",
            "application_date",
            "awarded_amount_inr",
        ],
        &["scheme"],
    )?;
    let (claim_cases, claim_survivors, schemes, applied, awarded) = (
        claims.column(|df| strings(df, "case_ref")),
        claims.column(|df| strings(df, "survivor_ref")),
        claims
            .column(|df| strings(df, "scheme"))
            .into_iter()
            .zip(claims.plain("scheme"))
            .map(|(known, written)| known.or(written))
            .collect::<Vec<_>>(),
        claims.column(|df| dates(df, "application_date")),
        claims.column(|df| ints(df, "awarded_amount_inr")),
    );
    let recs: Vec<ClaimRecord> = (0..claims.rows.len())
        .map(|i| {
            let case = claim_cases[i]
                .as_deref()
                .and_then(|c| case_of.get(&claims.rows[i].partner_id)?.get(c));
            ClaimRecord {
                case: case.map(|c| c.0.clone()),
                person: person_of(people, &claims.rows[i].partner_id, claim_survivors[i].as_deref())
                    .or_else(|| case.and_then(|c| c.1.clone())),
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
    let claim_keys = tafteesh_linkage::stable_keys(&anchors, &grouped.group, |a| {
        format!("K-{}", &pseudo.token("claim", a)[..16])
    });
    write_bridge(
        from.lake,
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
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::entities::fixtures::{d, row};

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
}
