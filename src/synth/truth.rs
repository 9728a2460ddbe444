//! The truth: the true value of every field of a record, before a partner
//! writes it, and the values a data-entry mistake leaves.

use super::*;

/// A true value before a partner writes it.
#[derive(Debug, Clone)]
pub(super) enum V {
    S(String),
    D(NaiveDate),
    I(i64),
    B(bool),
    Sections(Vec<(&'static str, &'static str)>),
    Name {
        given: (&'static str, &'static str),
        surname: (&'static str, &'static str),
        guardian: bool,
        female: bool,
    },
}

/// One field as written, with what the pipeline should make of it.
#[derive(Debug, Clone)]
pub(super) struct Written {
    pub(super) cell: Cell,
    pub(super) expected: Option<String>,
    pub(super) corrupt: bool,
}

impl Written {
    /// A cell left blank: the pipeline should end with nothing.
    pub(super) fn blank() -> Written {
        Written {
            cell: Cell::S(String::new()),
            expected: None,
            corrupt: false,
        }
    }

    /// A cell written exactly as the pipeline should keep it (blank stays blank).
    pub(super) fn exact(v: String) -> Written {
        Written {
            expected: (!v.is_empty()).then(|| v.clone()),
            cell: Cell::S(v),
            corrupt: false,
        }
    }

    /// An empty cell that still stands for `expected` (a fact another
    /// column of the row holds).
    pub(super) fn elsewhere(expected: Option<String>) -> Written {
        Written {
            cell: Cell::S(String::new()),
            expected,
            corrupt: false,
        }
    }
}

/// One record's truth.
#[derive(Debug, Default)]
pub(super) struct TruthRow {
    pub(super) values: BTreeMap<String, String>,
}

pub(super) struct Refs {
    pub(super) survivor: String,
    pub(super) case: Option<String>,
    pub(super) claim: Option<String>,
}

pub(super) fn true_value(
    table: &str,
    col: &str,
    p: &Person,
    c: Option<&Case>,
    cl: Option<&Claim>,
    r: &Refs,
) -> Option<V> {
    let s = |x: &str| Some(V::S(x.to_string()));
    let d = |x: Option<NaiveDate>| x.map(V::D);
    match (table, col) {
        (_, "survivor_ref") => s(&r.survivor),
        ("survivors", "full_name") => Some(V::Name {
            given: p.given,
            surname: p.surname,
            guardian: false,
            female: p.sex != "male",
        }),
        ("survivors", "guardian_name") => Some(V::Name {
            given: p.guardian.0,
            surname: p.guardian.1,
            guardian: true,
            female: false,
        }),
        ("survivors", "phone") => p.phone.as_deref().and_then(s),
        ("survivors", "village") => s(p.village),
        ("survivors", "sex") => s(p.sex),
        ("survivors", "date_of_birth") => d(p.dob),
        ("survivors", "age_years") => Some(V::I(p.age_at_rescue)),
        ("survivors", "minor_at_rescue") => Some(V::B(p.age_at_rescue < 18)),
        ("survivors", "home_district") => s(p.origin.unwrap_or(p.district)),
        ("survivors", "other_identifier") => p.ration_card.as_deref().and_then(s),
        ("survivors", "home_block") => s(p.block),
        ("survivors", "trafficking_form") => s(p.form),
        ("survivors", "destination_state") => s(p.destination),
        ("survivors", "rescue_date") => d(Some(p.rescue)),
        ("survivors", "registered_date") => d(Some(p.registered)),
        ("survivors", "legal_representation") => s(p.legal),
        ("survivors", "collective_member") => Some(V::B(p.collective)),
        ("cases", col) => {
            let c = c?;
            match col {
                "case_ref" => r.case.as_deref().and_then(s),
                "fir_number" => s(&c.fir_number),
                "fir_date" => d(Some(c.fir_date)),
                "police_station" => s(&c.police_station),
                "police_district" => c.police_district.and_then(s),
                "district" => c.district.and_then(s),
                "state" => s(c.state),
                "sections" => Some(V::Sections(c.sections.clone())),
                "investigating_agency" => s(c.agency),
                "ahtu_unit" => c.ahtu_unit.and_then(s),
                "ahtu_transfer_date" => d(c.ahtu_date),
                "cid_transfer_date" => d(c.cid_date),
                "chargesheet_date" => d(c.chargesheet),
                "final_report_date" => d(c.final_report),
                "outcome" => s(c.outcome),
                "judgment_date" => d(c.judgment),
                "accused_count" => Some(V::I(c.accused)),
                "accused_arrested" => Some(V::I(c.arrested)),
                _ => None,
            }
        }
        ("compensation_claims", col) => {
            let cl = cl?;
            match col {
                "claim_ref" => r.claim.as_deref().and_then(s),
                "case_ref" => r.case.as_deref().and_then(s),
                "scheme" => s(cl.scheme),
                "forum" => s(cl.forum),
                "application_date" => d(Some(cl.application)),
                "filed_with_legal_aid" => Some(V::B(cl.legal_aid)),
                "interim_amount_inr" => cl.interim.map(|x| V::I(x.0)),
                "interim_date" => d(cl.interim.map(|x| x.1)),
                "awarded_amount_inr" => cl.award.map(|x| V::I(x.0)),
                "award_date" => d(cl.award.map(|x| x.1)),
                "status" => s(cl.status),
                "disbursed_amount_inr" => cl.disbursed.map(|x| V::I(x.0)),
                "disbursed_date" => d(cl.disbursed.map(|x| x.1)),
                _ => None,
            }
        }
        _ => None,
    }
}

pub(super) fn is_trafficking(items: &[(&str, &str)]) -> bool {
    items.iter().any(|(a, s)| match *a {
        "IPC" => ["366A", "366B", "370", "370A", "372", "373"].contains(s),
        "BNS" => ["96", "141", "143", "144", "98", "99"].contains(s),
        "ITPA" => ["3", "4", "5", "6", "7", "8"].contains(s),
        _ => false,
    })
}

/// Unrecoverable values a data-entry mistake leaves, by type.
pub(super) fn junk_for(ty: ColumnType, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let pool: &[&str] = match ty {
        ColumnType::Date => &["31/02/2021", "not known", "00/00/0000", "??"],
        ColumnType::AmountInr => &["pending", "NA", "to be paid"],
        ColumnType::Integer => &["NA", "unknown"],
        ColumnType::Boolean => &["maybe", "?"],
        ColumnType::Enum => &["??", "xx"],
        ColumnType::Phone => &["12345", "033 2555 1234", "not available"],
        ColumnType::Sections => &["370/372", "N/A"],
        _ => return None,
    };
    pool.choose(rng).copied()
}
