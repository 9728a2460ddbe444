//! The programme's other dimensions on the demo, against the generator's
//! truth: each indicator of entitlements, rehabilitation reviews and
//! engagements, per partner and for the consortium, computed here from
//! the truth's clean records by the indicator's definition.
//!
//! What these tests share with the code: the definitions (what counts as
//! received, decided, pending at a period's end, a plan's due date), read
//! from each indicator's TOML and written again here from its words; and
//! the demo's registers, which `src/synth/programme.rs` lays out from how
//! such registers look, not from the pipeline configs. They do not share
//! the linking of one partner's record to another's: the consortium
//! figures here merge records by the truth's own application, person and
//! review ids.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::demo_truth::demo;
use crate::util::query_text;

type Row = HashMap<String, String>;
/// (period, scope) -> (numerator or value, denominator)
type Figures = BTreeMap<(String, String), (f64, Option<f64>)>;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn fy(d: NaiveDate) -> String {
    use chrono::Datelike;
    let start = if d.month() < 4 { d.year() - 1 } else { d.year() };
    format!("FY {}-{:02}", start, (start + 1) % 100)
}

/// The periods a dated record counts in: its financial year and All time.
fn periods(d: Option<NaiveDate>) -> Vec<String> {
    d.map(fy)
        .into_iter()
        .chain(std::iter::once("All time".to_string()))
        .collect()
}

/// The warehouse's years and All time, with their last day.
fn period_ends() -> Vec<(String, NaiveDate)> {
    let (_, rows) = query_text(
        &demo().conn(),
        "select period, period_end from dim_periods where period_type in ('year', 'all')",
    );
    rows.into_iter()
        .map(|r| (r[0].clone().unwrap(), date(r[1].as_deref().unwrap()).unwrap()))
        .collect()
}

fn as_of() -> NaiveDate {
    period_ends().into_iter().find(|p| p.0 == "All time").unwrap().1
}

/// A share or count: hits over records, by period of `when`.
fn tally<'r>(
    rows: impl IntoIterator<Item = &'r Row>,
    scope: impl Fn(&Row) -> String,
    when: impl Fn(&Row) -> Option<NaiveDate>,
    f: impl Fn(&Row) -> Option<(f64, f64)>,
) -> Figures {
    let mut out = Figures::new();
    for r in rows {
        let Some((num, den)) = f(r) else { continue };
        for p in periods(when(r)) {
            let e = out.entry((p, scope(r))).or_insert((0.0, Some(0.0)));
            e.0 += num;
            e.1 = e.1.map(|d| d + den);
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The warehouse's figures of an indicator, per partner and consortium.
fn warehouse(id: &str, value: bool) -> Figures {
    let (_, rows) = query_text(
        &demo().conn(),
        &format!(
            "select period, dimension_value, {}, denominator from indicator_values
             where indicator_id = '{id}' and dimension in ('partner', 'consortium') and period not like '% Q%'",
            if value { "value" } else { "numerator" }
        ),
    );
    rows.into_iter()
        .map(|r| {
            (
                (r[0].clone().unwrap(), r[1].clone().unwrap()),
                (
                    r[2].clone().map(|n| n.parse().unwrap()).unwrap_or(0.0),
                    r[3].clone().map(|d| d.parse().unwrap()),
                ),
            )
        })
        .collect()
}

/// Compare, exactly per partner and within `tolerance` (a share of the
/// figure, at least 2) for the consortium.
fn check(id: &str, want: Figures, got: Figures, has_den: bool, tolerance: f64) {
    assert!(
        want.len() > 3,
        "{id}: the truth has {} figures, the test proves nothing",
        want.len()
    );
    let mut exact = 0;
    for (k, (num, den)) in &want {
        let (g_num, g_den) = got.get(k).copied().unwrap_or((0.0, None));
        let den = if has_den { *den } else { None };
        if k.1 == "all" {
            let close = |g: f64, w: f64| (g - w).abs() <= (w * tolerance).max(2.0);
            assert!(
                close(g_num, *num) && (!has_den || close(g_den.unwrap_or(0.0), den.unwrap_or(0.0))),
                "{id} {k:?}: warehouse {g_num}/{g_den:?}, truth {num}/{den:?}"
            );
        } else {
            assert!(
                (g_num - num).abs() < 0.01 && (!has_den || g_den == den),
                "{id} {k:?}: warehouse {g_num}/{g_den:?}, truth {num}/{den:?}"
            );
        }
        exact += ((g_num - num).abs() < 0.01) as usize;
    }
    // And nothing the truth does not have (a partner's figure of zero is
    // no row).
    for (k, (n, _)) in &got {
        if k.1 != "all" && *n != 0.0 {
            assert!(
                want.contains_key(k),
                "{id} {k:?}: the warehouse has {n}, the truth nothing"
            );
        }
    }
    eprintln!("{id}: {exact} of {} figures exactly as the truth", want.len());
}

/// The truth's kept records of a table, once per partner record, and once
/// per true entity for the consortium (`partner_id` "consortium", each
/// field from the first kept record that holds it).
fn records(table: &str, id: &str) -> (Vec<Row>, Vec<Row>) {
    let kept: Vec<Row> = demo()
        .truth(table)
        .into_iter()
        .filter(|r| r["expected_status"] == "kept")
        .collect();
    let mut merged: BTreeMap<String, Row> = BTreeMap::new();
    for r in &kept {
        let e = merged.entry(r[id].clone()).or_default();
        for (k, v) in r {
            let slot = e.entry(k.clone()).or_default();
            if slot.is_empty() {
                *slot = v.clone();
            }
        }
        e.insert("partner_id".into(), "all".into());
    }
    (kept, merged.into_values().collect())
}

fn scope(r: &Row) -> String {
    r["partner_id"].clone()
}

fn is_received(r: &Row) -> bool {
    r["status"] == "received" || !r["received_date"].is_empty()
}

fn is_rejected(r: &Row) -> bool {
    r["status"] == "rejected" && r["received_date"].is_empty()
}

fn decision(r: &Row) -> Option<NaiveDate> {
    date(&r["decided_date"]).or(date(&r["received_date"]))
}

#[test]
fn entitlement_indicators_equal_the_truth_per_partner_and_for_the_consortium() {
    let (kept, merged) = records("entitlements", "entitlement_id");
    let all: Vec<&Row> = kept.iter().chain(&merged).collect();
    assert!(
        merged.len() < kept.len(),
        "some applications are recorded by two partners"
    );
    let days = |a: &str, b: &str, r: &Row| Some((date(&r[b])? - date(&r[a])?).num_days());

    let want = tally(all.iter().copied(), scope, decision, |r| {
        (is_received(r) || is_rejected(r)).then(|| (is_received(r) as i32 as f64, 1.0))
    });
    check(
        "entitlements_received_rate",
        want,
        warehouse("entitlements_received_rate", false),
        true,
        0.04,
    );

    let want = tally(
        all.iter().copied(),
        scope,
        |r| date(&r["escalation_date"]),
        |r| (!r["escalation_date"].is_empty()).then_some((1.0, 0.0)),
    );
    check(
        "escalations_made",
        want,
        warehouse("escalations_made", false),
        false,
        0.04,
    );

    let want = tally(
        all.iter().copied(),
        scope,
        |r| date(&r["escalation_date"]),
        |r| {
            let resolved =
                days("escalation_date", "escalation_resolved_date", r).is_some_and(|d| (0..=30).contains(&d));
            (!r["escalation_date"].is_empty()).then_some((resolved as i32 as f64, 1.0))
        },
    );
    check(
        "escalations_resolved_within_30_days",
        want,
        warehouse("escalations_resolved_within_30_days", false),
        true,
        0.04,
    );

    // The median, by the year of the receipt.
    let mut spans: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for r in &all {
        if let Some(d) = days("applied_date", "received_date", r).filter(|d| *d >= 0) {
            for p in periods(date(&r["received_date"])) {
                spans.entry((p, scope(r))).or_default().push(d as f64);
            }
        }
    }
    let want: Figures = spans.into_iter().map(|(k, v)| (k, (median(v), None))).collect();
    check(
        "median_days_application_to_receipt",
        want,
        warehouse("median_days_application_to_receipt", true),
        false,
        0.05,
    );

    // Stocks at each year's end (All time: the run's day).
    let ends = period_ends();
    let mut want = Figures::new();
    for r in &all {
        let Some(applied) = date(&r["applied_date"]) else {
            continue;
        };
        let closed_undated = decision(r).is_none() && (is_received(r) || is_rejected(r));
        if r["status"] == "withdrawn" || closed_undated {
            continue;
        }
        for (period, end) in &ends {
            if applied <= *end - chrono::Duration::days(90) && decision(r).is_none_or(|d| d > *end) {
                want.entry((period.clone(), scope(r))).or_insert((0.0, None)).0 += 1.0;
            }
        }
    }
    check(
        "entitlements_pending_over_90_days",
        want,
        warehouse("entitlements_pending_over_90_days", false),
        false,
        0.04,
    );

    let core = |e: &str| match e {
        "aadhaar" | "voter_id" => Some("identity"),
        "ration_card" => Some("ration_card"),
        "bank_account" => Some("bank_account"),
        _ => None,
    };
    let mut held: BTreeMap<(String, String, String), BTreeSet<&str>> = BTreeMap::new();
    for r in &all {
        let Some(kind) = core(&r["entitlement"]) else { continue };
        let Some(from) = date(&r["applied_date"]).or(date(&r["received_date"])) else {
            continue;
        };
        for (period, end) in &ends {
            if from <= *end {
                let docs = held
                    .entry((period.clone(), scope(r), r["person_id"].clone()))
                    .or_default();
                if date(&r["received_date"]).is_some_and(|d| d <= *end) {
                    docs.insert(kind);
                }
            }
        }
    }
    let mut want = Figures::new();
    for ((period, scope, _), docs) in held {
        let e = want.entry((period, scope)).or_insert((0.0, Some(0.0)));
        e.0 += (docs.len() == 3) as i32 as f64;
        e.1 = e.1.map(|d| d + 1.0);
    }
    check(
        "survivors_holding_core_documents",
        want,
        warehouse("survivors_holding_core_documents", false),
        true,
        0.04,
    );
}

#[test]
fn review_indicators_equal_the_truth_per_partner_and_for_the_consortium() {
    let (kept, _) = records("rehabilitation_reviews", "review_id");
    // A plan: a partner's reviews of one survivor; the consortium's, all
    // reviews of one person.
    let mut plans: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in &kept {
        plans.entry((scope(r), r["person_id"].clone())).or_default().push(r);
        plans.entry(("all".into(), r["person_id"].clone())).or_default().push(r);
    }
    let as_of = as_of();
    let ends = period_ends();
    let (mut on_time, mut overdue) = (Figures::new(), Figures::new());
    for ((scope, _), reviews) in plans.iter_mut() {
        reviews.sort_by_key(|r| (r["review_date"].clone(), r["review_ref"].parse::<u64>().unwrap()));
        for (i, r) in reviews.iter().enumerate() {
            let due = date(&r["next_review_due"]).unwrap();
            if due <= as_of {
                let next = reviews.get(i + 1).and_then(|n| date(&n["review_date"]));
                for p in periods(Some(due)) {
                    let e = on_time.entry((p, scope.clone())).or_insert((0.0, Some(0.0)));
                    e.0 += next.is_some_and(|n| n <= due) as i32 as f64;
                    e.1 = e.1.map(|d| d + 1.0);
                }
            }
        }
        for (period, end) in &ends {
            let latest = reviews.iter().rev().find(|r| date(&r["review_date"]).unwrap() <= *end);
            if let Some(r) = latest {
                let e = overdue
                    .entry((period.clone(), scope.clone()))
                    .or_insert((0.0, Some(0.0)));
                e.0 += (date(&r["next_review_due"]).unwrap() < *end) as i32 as f64;
                e.1 = e.1.map(|d| d + 1.0);
            }
        }
    }
    check(
        "reviews_done_by_due_date",
        on_time,
        warehouse("reviews_done_by_due_date", false),
        true,
        0.04,
    );
    check(
        "survivors_overdue_for_review",
        overdue,
        warehouse("survivors_overdue_for_review", false),
        true,
        0.04,
    );
    let risks = [
        "risk_threat_from_accused",
        "risk_retrafficking",
        "risk_forced_marriage",
        "risk_domestic_violence",
    ];
    let consortium: Vec<Row> = kept
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.insert("partner_id".into(), "all".into());
            r
        })
        .collect();
    let want = tally(
        kept.iter().chain(&consortium),
        scope,
        |r| date(&r["review_date"]),
        |r| Some((risks.iter().any(|k| r[*k] == "true") as i32 as f64, 1.0)),
    );
    check(
        "reviews_finding_a_risk",
        want,
        warehouse("reviews_finding_a_risk", false),
        true,
        0.0,
    );
}

#[test]
fn engagement_indicators_equal_the_truth_per_partner_and_for_the_consortium() {
    let (kept, merged) = records("engagements", "engagement_id");
    let all: Vec<&Row> = kept.iter().chain(&merged).collect();
    let when = |r: &Row| date(&r["engagement_date"]);
    let duty = [
        "panchayat_meeting",
        "block_office_meeting",
        "police_meeting",
        "ahtu_meeting",
        "dlsa_meeting",
        "district_administration_meeting",
        "vcpc_meeting",
    ];
    let forum = |r: &Row| ["state_forum", "national_forum"].contains(&r["kind"].as_str());
    let want = tally(all.iter().copied(), scope, when, |r| {
        duty.contains(&r["kind"].as_str()).then_some((1.0, 0.0))
    });
    check(
        "engagements_with_duty_bearers",
        want,
        warehouse("engagements_with_duty_bearers", false),
        false,
        0.0,
    );
    let want = tally(all.iter().copied(), scope, when, |r| {
        Some(((r["survivor_led"] == "true") as i32 as f64, 1.0))
    });
    check(
        "survivor_led_engagement_share",
        want,
        warehouse("survivor_led_engagement_share", false),
        true,
        0.0,
    );
    let want = tally(all.iter().copied(), scope, when, |r| {
        (forum(r) && r["survivor_led"] == "true").then_some((1.0, 0.0))
    });
    check(
        "forums_with_survivor_speaker",
        want,
        warehouse("forums_with_survivor_speaker", false),
        false,
        0.0,
    );
    let want = tally(all.iter().copied(), scope, when, |r| {
        ["awareness_session", "vcpc_meeting", "training"]
            .contains(&r["kind"].as_str())
            .then_some((1.0, 0.0))
    });
    check(
        "prevention_activities",
        want,
        warehouse("prevention_activities", false),
        false,
        0.0,
    );

    // Leaders, once per period: those whose member record the collective's
    // register kept (a leader whose record was quarantined is no one the
    // warehouse can name).
    let members: BTreeSet<String> = demo()
        .truth("survivors")
        .into_iter()
        .filter(|r| r["partner_id"] == "bijoy_collective" && r["expected_status"] == "kept")
        .map(|r| r["person_id"].clone())
        .collect();
    let mut leaders: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in &all {
        if forum(r) && members.contains(&r["leader_person_id"]) {
            for p in periods(when(r)) {
                leaders
                    .entry((p, scope(r)))
                    .or_default()
                    .insert(r["leader_person_id"].clone());
            }
        }
    }
    let want: Figures = leaders.into_iter().map(|(k, v)| (k, (v.len() as f64, None))).collect();
    check(
        "survivor_leaders_at_forums",
        want,
        warehouse("survivor_leaders_at_forums", false),
        false,
        0.0,
    );
}
