//! The true world the demo exports are drawn from: people, their cases and
//! their compensation claims, with clean values. Deterministic for a seed.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::names::*;

/// The generator's "today": fixed, so a seed always gives the same data.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 31).expect("valid date")
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: usize,
    pub sex: &'static str,
    pub given: (&'static str, &'static str),
    pub surname: (&'static str, &'static str),
    pub guardian: ((&'static str, &'static str), (&'static str, &'static str)),
    pub phone: Option<String>,
    pub village: &'static str,
    pub block: &'static str,
    pub district: &'static str,
    /// A home district outside West Bengal (Jharkhand, Bihar, Assam,
    /// Bangladesh, Nepal): the survivor was rescued in or brought to
    /// `district`, which decides her partners and police station.
    pub origin: Option<&'static str>,
    /// A ration card number, for the partners that record one.
    pub ration_card: Option<String>,
    pub dob: Option<NaiveDate>,
    pub age_at_rescue: i64,
    pub form: &'static str,
    pub destination: &'static str,
    pub rescue: NaiveDate,
    pub registered: NaiveDate,
    pub legal: &'static str,
    pub collective: bool,
    pub cases: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: usize,
    pub person: usize,
    pub fir_number: String,
    pub fir_date: NaiveDate,
    pub police_station: String,
    pub police_district: Option<&'static str>,
    pub district: Option<&'static str>,
    pub state: &'static str,
    /// (act, section)
    pub sections: Vec<(&'static str, &'static str)>,
    pub trafficking: bool,
    pub agency: &'static str,
    pub ahtu_unit: Option<&'static str>,
    pub ahtu_date: Option<NaiveDate>,
    pub cid_date: Option<NaiveDate>,
    pub chargesheet: Option<NaiveDate>,
    pub final_report: Option<NaiveDate>,
    pub outcome: &'static str,
    pub judgment: Option<NaiveDate>,
    pub accused: i64,
    pub arrested: i64,
    pub claim: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub id: usize,
    pub case: usize,
    pub scheme: &'static str,
    pub forum: &'static str,
    pub application: NaiveDate,
    pub legal_aid: bool,
    pub interim: Option<(i64, NaiveDate)>,
    pub award: Option<(i64, NaiveDate)>,
    pub status: &'static str,
    pub disbursed: Option<(i64, NaiveDate)>,
}

#[derive(Debug, Default)]
pub struct World {
    pub people: Vec<Person>,
    pub cases: Vec<Case>,
    pub claims: Vec<Claim>,
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in items {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A name from a list ordered most common first: the k-th drawn in
/// proportion to 1 / (k + 4), as names in a population are (a few very
/// common, a long tail of rare ones). Term-frequency adjustment and the
/// weight of a name agreement depend on that shape.
fn common<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    let total: f64 = (0..items.len()).map(|k| 1.0 / (k as f64 + 4.0)).sum();
    let mut x = rng.random_range(0.0..total);
    for (k, item) in items.iter().enumerate() {
        x -= 1.0 / (k as f64 + 4.0);
        if x < 0.0 {
            return item;
        }
    }
    &items[items.len() - 1]
}

pub(super) fn days(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> Duration {
    Duration::days(rng.random_range(lo..=hi))
}

/// `d` if it is not after the as-of date.
pub(super) fn by_now(d: NaiveDate) -> Option<NaiveDate> {
    (d <= as_of()).then_some(d)
}

const TRAFFICKING_IPC: &[&str] = &["370", "372", "373", "366A", "366B", "370A"];
const TRAFFICKING_BNS: &[&str] = &["143", "98", "99", "96", "141", "144"];
const AHTU_BY_PD: &[(&str, &str)] = &[
    ("Barasat", "Barasat AHTU"),
    ("Basirhat", "Basirhat AHTU"),
    ("Bongaon", "Bongaon AHTU"),
    ("Baruipur", "Baruipur AHTU"),
    ("Diamond Harbour", "Diamond Harbour AHTU"),
    ("Sundarban", "Sundarban AHTU"),
];

/// Home districts outside West Bengal, as the gazetteer names them, with
/// their region and weight: the source areas DOMAIN.md names.
pub const ORIGINS: &[(&str, &str, u32)] = &[
    ("Ranchi", "Jharkhand", 8),
    ("East Singhbhum", "Jharkhand", 5),
    ("Dumka", "Jharkhand", 4),
    ("Pakur", "Jharkhand", 4),
    ("Sahibganj", "Jharkhand", 4),
    ("Gumla", "Jharkhand", 3),
    ("Simdega", "Jharkhand", 3),
    ("Kishanganj", "Bihar", 4),
    ("Purnia", "Bihar", 3),
    ("Katihar", "Bihar", 3),
    ("Araria", "Bihar", 2),
    ("Dhubri", "Assam", 3),
    ("Kokrajhar", "Assam", 2),
    ("Jashore", "Bangladesh", 5),
    ("Satkhira", "Bangladesh", 5),
    ("Khulna", "Bangladesh", 3),
    ("Bangladesh", "Bangladesh", 4),
    ("Jhapa", "Nepal", 3),
    ("Sindhupalchok", "Nepal", 2),
    ("Nepal", "Nepal", 2),
];

pub fn generate(n: usize, rng: &mut ChaCha8Rng) -> World {
    let mut w = World::default();
    // Facts added after the first demo (home districts beyond West Bengal,
    // ration cards) come from their own stream of the same seed, so the
    // rest of the world is drawn as before.
    let mut more = rng.clone();
    more.set_stream(0x0f_1915);
    // FIR numbers run in sequence per police station and year, as a police
    // station's register does: two cases never share one.
    // The women drawn so far: a new one may be a sister of one of them.
    let mut daughters: Vec<usize> = Vec::new();
    let mut fir_serials: HashMap<(String, i32), u32> = HashMap::new();
    let start = NaiveDate::from_ymd_opt(2016, 4, 1).expect("valid date");
    let span = (NaiveDate::from_ymd_opt(2026, 6, 30).expect("valid date") - start).num_days();
    for id in 0..n {
        let sex = weighted(rng, &[("female", 92), ("male", 7), ("transgender", 1)]);
        let family = *common(rng, SURNAMES);
        let given = if sex == "male" {
            *common(rng, MALE_GIVEN)
        } else {
            *common(rng, FEMALE_GIVEN)
        };
        let surname = if family.2 && sex == "female" && rng.random_bool(0.6) {
            *MUSLIM_FEMALE_SURNAMES.choose(rng).expect("non-empty")
        } else {
            (family.0, family.1)
        };
        let guardian = (*common(rng, MALE_GIVEN), (family.0, family.1));
        let (block, district) = if rng.random_bool(0.85) {
            *BLOCKS[..22].choose(rng).expect("non-empty")
        } else {
            *BLOCKS[22..].choose(rng).expect("non-empty")
        };
        let rescue = start + Duration::days(rng.random_range(0..=span));
        let age = rng.random_range(12..=30i64);
        let dob = rng.random_bool(0.6).then(|| {
            let born = rescue - Duration::days(age * 365 + rng.random_range(10..355));
            NaiveDate::from_ymd_opt(born.year(), born.month(), born.day().min(28)).expect("valid date")
        });
        let age_at_rescue = dob.map(|d| completed_years(d, rescue)).unwrap_or(age);
        let phone = rng.random_bool(0.8).then(|| {
            format!(
                "{}{:09}",
                rng.random_range(6..=9),
                rng.random_range(0..1_000_000_000u64)
            )
        });
        let person = Person {
            id,
            sex,
            given,
            surname,
            guardian,
            phone,
            village: VILLAGES.choose(rng).expect("non-empty"),
            block,
            district,
            origin: more
                .random_bool(0.08)
                .then(|| ORIGINS.choose_weighted(&mut more, |o| o.2).expect("non-empty").0),
            ration_card: more
                .random_bool(0.5)
                .then(|| format!("{:010}", more.random_range(0..10_000_000_000u64))),
            dob,
            age_at_rescue,
            form: weighted(
                rng,
                &[
                    ("SexualExploitation", 60),
                    ("ForcedLabour", 14),
                    ("ChildLabour", 8),
                    ("ForcedMarriage", 7),
                    ("Servitude", 9),
                    ("Other", 2),
                ],
            ),
            destination: weighted(rng, STATES),
            rescue,
            registered: (rescue + days(rng, 0, 120)).min(as_of()),
            legal: weighted(
                rng,
                &[
                    ("legal_aid", 40),
                    ("programme_lawyer", 35),
                    ("none", 15),
                    ("private", 5),
                    ("unknown", 5),
                ],
            ),
            collective: rng.random_bool(0.3),
            cases: vec![],
        };
        let mut person = person;
        if sex == "female"
            && more.random_bool(SISTERS)
            && let Some(&elder) = daughters.choose(&mut more)
        {
            make_sister(&mut person, &mut w.people[elder], &mut more);
        }
        if person.sex == "female" {
            daughters.push(id);
        }
        w.people.push(person);
        let n_cases = weighted(rng, &[(0usize, 10), (1, 85), (2, 5)]);
        for k in 0..n_cases {
            let case_id = w.cases.len();
            let case = make_case(rng, &w.people[id], case_id, k, &mut fir_serials);
            w.people[id].cases.push(case_id);
            w.cases.push(case);
            if rng.random_bool(0.5) {
                let claim_id = w.claims.len();
                let claim = make_claim(rng, &w.cases[case_id], claim_id);
                w.cases[case_id].claim = Some(claim_id);
                w.claims.push(claim);
            }
        }
    }
    w
}

/// The share of women who are the sister of a woman drawn before them.
/// Trafficking takes sisters together or one after another; the held-out
/// partners' data had hundreds of sister pairs, which the first demo
/// world (every woman of her own family) could not show.
const SISTERS: f64 = 0.12;

/// Make `p` a sister of `elder`: one father (guardian), surname, village,
/// block, district and home; often the household's one phone; sometimes
/// rescued together; born one to eight years apart; and, more often than
/// not, a given name one or two letters from her sister's (Rina / Mina:
/// the elder is renamed within the pair's group, which no record has
/// been written from yet). Drawn from the `more` stream only.
fn make_sister(p: &mut Person, elder: &mut Person, more: &mut ChaCha8Rng) {
    p.surname = elder.surname;
    p.guardian = elder.guardian;
    p.village = elder.village;
    p.block = elder.block;
    p.district = elder.district;
    p.origin = elder.origin;
    if more.random_bool(0.6) {
        p.phone = elder.phone.clone();
    }
    if more.random_bool(0.35) {
        p.rescue = elder.rescue;
        p.registered = elder.registered;
    }
    if more.random_bool(0.65) {
        let group = *SISTER_NAMES.choose(more).expect("non-empty");
        let pair: Vec<_> = group.choose_multiple(more, 2).copied().collect();
        elder.given = pair[0];
        p.given = pair[1];
    } else {
        while p.given == elder.given {
            p.given = *FEMALE_GIVEN.choose(more).expect("non-empty");
        }
    }
    let elder_born = elder.rescue.year() as i64 - elder.age_at_rescue;
    let gap = more.random_range(1..=8i64);
    let born = if more.random_bool(0.5) {
        elder_born + gap
    } else {
        elder_born - gap
    };
    let age = (p.rescue.year() as i64 - born).clamp(10, 35);
    p.dob = p.dob.map(|_| {
        let day = more.random_range(0..365);
        NaiveDate::from_ymd_opt((p.rescue.year() as i64 - age - 1) as i32, 1, 1).expect("valid date")
            + Duration::days(day)
    });
    p.age_at_rescue = p.dob.map(|d| completed_years(d, p.rescue)).unwrap_or(age);
}

/// Whole years from `from` to `to`, as DuckDB's date_sub('year', ...) counts them.
pub fn completed_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut y = (to.year() - from.year()) as i64;
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y
}

fn make_case(
    rng: &mut ChaCha8Rng,
    p: &Person,
    id: usize,
    k: usize,
    fir_serials: &mut HashMap<(String, i32), u32>,
) -> Case {
    let in_maharashtra = p.destination == "Maharashtra" && rng.random_bool(0.4) && k == 0;
    let fir_date = (p.rescue - days(rng, 0, 20) + Duration::days(k as i64 * 40)).min(as_of());
    let (police_station, police_district, district, state) = if in_maharashtra {
        (
            MH_POLICE_STATIONS.choose(rng).expect("non-empty").to_string(),
            None,
            None,
            "Maharashtra",
        )
    } else {
        let local: Vec<_> = WB_POLICE_STATIONS.iter().filter(|s| s.2 == p.district).collect();
        let s = if local.is_empty() {
            WB_POLICE_STATIONS.choose(rng).expect("non-empty")
        } else {
            *local.choose(rng).expect("non-empty")
        };
        (s.0.to_string(), Some(s.1), Some(s.2), "West Bengal")
    };
    let bns = fir_date >= NaiveDate::from_ymd_opt(2024, 7, 1).expect("valid date");
    let trafficking = rng.random_bool(0.9);
    let mut sections: Vec<(&'static str, &'static str)> = Vec::new();
    if trafficking {
        let pool = if bns { TRAFFICKING_BNS } else { TRAFFICKING_IPC };
        let n = rng.random_range(1..=3);
        for s in pool.choose_multiple(rng, n) {
            sections.push((if bns { "BNS" } else { "IPC" }, *s));
        }
        if !bns && rng.random_bool(0.3) {
            sections.push(("ITPA", *["3", "4", "5", "6", "7"].choose(rng).expect("non-empty")));
        }
    } else {
        let pool: &[&str] = if bns {
            &["137(2)", "87", "64"]
        } else {
            &["363", "366", "376"]
        };
        sections.push((if bns { "BNS" } else { "IPC" }, *pool.choose(rng).expect("non-empty")));
    }
    if rng.random_bool(0.4) {
        sections.push(if bns { ("BNS", "61(2)") } else { ("IPC", "120B") });
    }
    if p.age_at_rescue < 18 && rng.random_bool(0.6) {
        sections.push(("POCSO", *["4", "6", "8", "12"].choose(rng).expect("non-empty")));
    }
    sections.sort();
    sections.dedup();

    let agency = if state == "West Bengal" {
        weighted(rng, &[("local_police", 60), ("ahtu", 30), ("cid", 10)])
    } else {
        "local_police"
    };
    let ahtu_unit = match agency {
        "ahtu" => police_district.and_then(|pd| AHTU_BY_PD.iter().find(|(d, _)| *d == pd).map(|(_, u)| *u)),
        "cid" => Some("CID-AHTU"),
        _ => None,
    };
    // About a quarter of the transfers reach the AHTU on the day of the FIR
    // or the next, as the Calcutta High Court directed in 2018; the rest
    // take from two days to half a year. (One draw either way, so the rest
    // of the world is drawn as before.)
    let ahtu_date = (agency != "local_police")
        .then(|| {
            let wait = days(rng, 2, 200).num_days();
            fir_date + Duration::days(if wait < 52 { wait % 2 } else { wait })
        })
        .and_then(by_now);
    let cid_date = (agency == "cid")
        .then(|| fir_date + days(rng, 30, 300))
        .and_then(by_now);
    let disposal = weighted(rng, &[("cs", 70), ("fr", 15), ("none", 15)]);
    let chargesheet = (disposal == "cs")
        .then(|| fir_date + days(rng, 30, 400))
        .and_then(by_now);
    let final_report = (disposal == "fr")
        .then(|| fir_date + days(rng, 60, 500))
        .and_then(by_now);
    let (outcome, judgment) = match chargesheet {
        Some(cs) if rng.random_bool(0.45) => {
            let j = cs + days(rng, 200, 1500);
            if j <= as_of() {
                (
                    weighted(
                        rng,
                        &[
                            ("convicted", 25),
                            ("acquitted", 62),
                            ("discharged", 10),
                            ("withdrawn", 3),
                        ],
                    ),
                    Some(j),
                )
            } else {
                ("pending", None)
            }
        }
        _ => ("pending", None),
    };
    let judgment = if outcome == "withdrawn" { None } else { judgment };
    let accused = rng.random_range(1..=6);
    let serial = fir_serials
        .entry((police_station.clone(), fir_date.year()))
        .or_insert(0);
    *serial += rng.random_range(1..=12);
    Case {
        id,
        person: p.id,
        fir_number: format!("{}/{}", serial, fir_date.year()),
        fir_date,
        police_station,
        police_district,
        district,
        state,
        sections,
        trafficking,
        agency,
        ahtu_unit,
        ahtu_date,
        cid_date,
        chargesheet,
        final_report,
        outcome,
        judgment,
        accused,
        arrested: rng.random_range(0..=accused),
        claim: None,
    }
}

fn make_claim(rng: &mut ChaCha8Rng, c: &Case, id: usize) -> Claim {
    let application = (c.fir_date + days(rng, 30, 600)).min(as_of());
    let interim = rng
        .random_bool(0.2)
        .then(|| (rng.random_range(2..=10) * 5_000, application + days(rng, 15, 90)));
    let interim = interim.filter(|(_, d)| *d <= as_of());
    let status = weighted(
        rng,
        &[("awarded", 55), ("pending", 35), ("rejected", 8), ("withdrawn", 2)],
    );
    let award_date = application + days(rng, 30, 700);
    let (status, award) = if status == "awarded" && award_date <= as_of() {
        let amount = *[
            50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 400_000, 500_000, 700_000,
        ]
        .choose(rng)
        .expect("non-empty");
        ("awarded", Some((amount, award_date)))
    } else if status == "awarded" {
        ("pending", None)
    } else {
        (status, None)
    };
    let disbursed = award.and_then(|(amt, d)| {
        rng.random_bool(0.6).then(|| {
            let paid = if rng.random_bool(0.8) { amt } else { amt / 2 };
            (paid, d + days(rng, 60, 1400))
        })
    });
    let disbursed = disbursed.filter(|(_, d)| *d <= as_of());
    Claim {
        id,
        case: c.id,
        scheme: if rng.random_bool(0.7) {
            "WB Victim Compensation Scheme 2017"
        } else {
            "NALSA Compensation Scheme 2018"
        },
        forum: weighted(rng, &[("dlsa", 70), ("slsa", 15), ("court", 15)]),
        application,
        legal_aid: rng.random_bool(0.6),
        interim,
        award,
        status,
        disbursed,
    }
}
