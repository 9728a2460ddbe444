//! The programme's other dimensions in the demo: entitlement applications,
//! rehabilitation reviews and the collective's engagements, drawn for the
//! people of the true world and written the way partners keep them.
//!
//! These writers are not driven by the pipeline configs (as the survivor,
//! case and claim exports are): each file is laid out from how such
//! registers look in the field, and the configs in `pipelines/` were then
//! written to read them, as a data officer would. So a layout the pipeline
//! cannot read fails the demo's truth tests instead of adapting to it.
//! - `canning_shakti`: an NGO's entitlement tracker in Excel, one row per
//!   application, two title rows above the header, scheme names as staff
//!   type them, a free-text status ("Received on 12.03.2025", "Pending at
//!   BDO - follow up"), dates as dd.mm.yyyy text or date cells, and
//!   remarks in free text.
//! - `sundarban_sathi`: a KoboToolbox follow-up form exported as XLSX with
//!   labels, the reviews a repeat group on a sheet of their own (joined by
//!   `_parent_index`), domains and risks select_multiple questions (a
//!   summary column and one 1/0 column per option), submissions a
//!   supervisor marked Not Approved.
//! - `bijoy_collective`: the collective's own follow-up of its members'
//!   applications, and its activity register, both in Bengali (Bengali
//!   digits, "প্রায় ২০" for a count someone estimated), CSV from Excel
//!   with a BOM and CRLF.
//!
//! The truth (`truth/entitlements.csv`, `truth/rehabilitation_reviews.csv`,
//! `truth/engagements.csv`) holds each record's clean values, its true
//! application, review or activity, and whether it should be kept.

use std::collections::HashSet;

use super::world::{by_now, days};
use super::*;
use crate::report::lang::bengali_digits;

/// The tables this module writes registers for.
pub(super) const TABLES: [&str; 3] = ["entitlements", "rehabilitation_reviews", "engagements"];

/// Gram panchayats of the demo's blocks, with a Bengali spelling: what the
/// demo installation's `reference.toml` lists (the shipped gazetteer holds
/// no panchayats; see `schemas/reference/gram_panchayats.toml`). The
/// registers write them in these and the English spelling with "GP".
pub(super) const PANCHAYATS: &[(&str, &str, &str)] = &[
    ("Itkhola", "Canning I", "ইটখোলা"),
    ("Dighirpar", "Canning I", "দিঘিরপাড়"),
    ("Jibantala", "Canning II", "জীবনতলা"),
    ("Sarengabad", "Canning II", "সারেঙ্গাবাদ"),
    ("Masjidbati", "Basanti", "মসজিদবাটি"),
    ("Phulmalancha", "Basanti", "ফুলমালঞ্চ"),
    ("Rangabelia", "Gosaba", "রাঙাবেলিয়া"),
    ("Satjelia", "Gosaba", "সাতজেলিয়া"),
    ("Maipith", "Kultali", "মৈপীঠ"),
    ("Gopalganj", "Kultali", "গোপালগঞ্জ"),
    ("Sripur", "Joynagar I", "শ্রীপুর"),
    ("Kankandighi", "Mathurapur II", "কঙ্কনদিঘি"),
    ("Masat", "Diamond Harbour I", "মশাট"),
    ("Madhabnagar", "Kakdwip", "মাধবনগর"),
    ("Fraserganj", "Namkhana", "ফ্রেজারগঞ্জ"),
    ("Gopalnagar", "Patharpratima", "গোপালনগর"),
    ("Nazat", "Sandeshkhali I", "ন্যাজাট"),
    ("Bhebia", "Hasnabad", "ভেবিয়া"),
    ("Dulduli", "Hingalganj", "দুলদুলি"),
    ("Atpukur", "Minakhan", "আটপুকুর"),
    ("Kulti", "Haroa", "কুলটি"),
    ("Itinda", "Basirhat I", "ইটিন্ডা"),
];

/// The demo installation's `reference.toml`: its gram panchayats.
pub(super) fn demo_reference_toml() -> String {
    let mut s = String::from(
        "# The demo installation's own known values: the gram panchayats its\n\
         # fictional partners' registers name (no LGD codes: a real installation\n\
         # lists its partners' panchayats with theirs).\n",
    );
    for (gp, block, bn) in PANCHAYATS {
        s.push_str(&format!(
            "\n[[gram_panchayat]]\nname = \"{gp}\"\nblock = \"{block}\"\nvariants = [\"{bn}\"]\n"
        ));
    }
    s
}

/// One application for an entitlement, as it truly went.
struct Application {
    id: usize,
    person: usize,
    entitlement: &'static str,
    authority: &'static str,
    gram_panchayat: Option<&'static str>,
    applied: NaiveDate,
    decided: Option<NaiveDate>,
    received: Option<NaiveDate>,
    status: &'static str,
    escalation: Option<(NaiveDate, &'static str, Option<NaiveDate>)>,
}

/// One review of a survivor's rehabilitation plan.
struct Review {
    id: usize,
    date: NaiveDate,
    next_due: NaiveDate,
    domains: [bool; 7],
    risks: [bool; 4],
    referral: bool,
}

/// One activity of the collective.
struct Activity {
    id: usize,
    date: NaiveDate,
    kind: &'static str,
    level: &'static str,
    block: &'static str,
    district: &'static str,
    participants: i64,
    survivor_led: bool,
    leader: Option<usize>,
    issue: &'static str,
    outcome: &'static str,
}

/// Entitlements a survivor may apply for: (value, authority, chance).
const ENTITLEMENTS: &[(&str, &str, f64)] = &[
    ("aadhaar", "block_office", 0.55),
    ("ration_card", "block_office", 0.6),
    ("bank_account", "other", 0.6),
    ("voter_id", "block_office", 0.3),
    ("caste_certificate", "sub_division", 0.15),
    ("birth_certificate", "gram_panchayat", 0.1),
    ("lakshmir_bhandar", "block_office", 0.3),
    ("swasthya_sathi", "block_office", 0.4),
    ("housing_scheme", "gram_panchayat", 0.15),
    ("mgnrega_job_card", "gram_panchayat", 0.25),
    ("self_help_group", "block_office", 0.2),
    ("counselling", "other", 0.15),
    ("kanyashree", "block_office", 0.15),
    ("sponsorship", "cwc_dcpu", 0.08),
    ("shelter_home", "district_administration", 0.04),
];

/// How the NGO's staff type each entitlement (`pipelines/canning_shakti.toml`
/// maps the two the schema's synonyms lack).
fn english_spelling(e: &str, rng: &mut ChaCha8Rng) -> &'static str {
    let options: &[&str] = match e {
        "aadhaar" => &["Aadhar Card", "AADHAAR", "Aadhaar"],
        "ration_card" => &["Ration Card", "Digital Ration Card", "Khadya Sathi"],
        "bank_account" => &["Bank A/c", "Bank account", "Jan Dhan"],
        "voter_id" => &["Voter Card", "EPIC"],
        "caste_certificate" => &["Caste cert.", "SC Certificate"],
        "birth_certificate" => &["Birth Certificate"],
        "lakshmir_bhandar" => &["Laxmir Bhandar", "Lakshmir Bhandar"],
        "swasthya_sathi" => &["Swasthya Sathi", "Swasthya Sathi Card"],
        "housing_scheme" => &["Banglar Bari", "PMAY-G", "Awas Yojana"],
        "mgnrega_job_card" => &["Job Card", "MGNREGA"],
        "self_help_group" => &["Anandadhara SHG", "SHG"],
        "counselling" => &["Counselling"],
        "kanyashree" => &["Kanyashree", "Kanyashree K2"],
        "sponsorship" => &["Mission Vatsalya sponsorship", "Sponsorship"],
        "shelter_home" => &["Shakti Sadan", "Swadhar Greh"],
        _ => &["Other"],
    };
    options.choose(rng).expect("non-empty")
}

/// How the collective writes each entitlement, in Bengali.
fn bengali_spelling(e: &str) -> &'static str {
    match e {
        "aadhaar" => "আধার কার্ড",
        "ration_card" => "রেশন কার্ড",
        "bank_account" => "ব্যাংক অ্যাকাউন্ট",
        "voter_id" => "ভোটার কার্ড",
        "caste_certificate" => "জাতি শংসাপত্র",
        "birth_certificate" => "জন্ম শংসাপত্র",
        "lakshmir_bhandar" => "লক্ষ্মীর ভান্ডার",
        "swasthya_sathi" => "স্বাস্থ্য সাথী",
        "housing_scheme" => "বাংলার বাড়ি",
        "mgnrega_job_card" => "জব কার্ড",
        "self_help_group" => "আনন্দধারা",
        "counselling" => "কাউন্সেলিং",
        "kanyashree" => "কন্যাশ্রী",
        "sponsorship" => "স্পনসরশিপ",
        "shelter_home" => "শক্তি সদন",
        _ => "অন্যান্য",
    }
}

fn iso(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// A truth row from (column, value) pairs.
fn truth_row(pairs: &[(&str, String)]) -> TruthRow {
    TruthRow {
        values: pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    }
}

/// The survivor's reference at a partner, as its survivor export writes it.
fn survivor_ref(partner: &str, person: usize) -> String {
    let prefix = STYLES
        .iter()
        .find(|s| s.partner == partner)
        .map(|s| s.prefix)
        .unwrap_or_default();
    format!("{prefix}{:05}", person + 1)
}

/// A panchayat of the block, if the demo lists one.
fn panchayat_of(block: &str, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let of_block: Vec<&'static str> = PANCHAYATS.iter().filter(|p| p.1 == block).map(|p| p.0).collect();
    of_block.choose(rng).copied()
}

/// Draw a survivor's applications, from a month after she was registered.
fn applications_of(p: &Person, next_id: &mut usize, rng: &mut ChaCha8Rng) -> Vec<Application> {
    let mut out = Vec::new();
    let start = p.registered.max(p.rescue) + days(rng, 20, 120);
    for &(entitlement, authority, chance) in ENTITLEMENTS {
        let eligible = match entitlement {
            "lakshmir_bhandar" => p.sex == "female" && p.age_at_rescue >= 21,
            "kanyashree" | "sponsorship" => p.age_at_rescue < 18,
            _ => true,
        };
        if !eligible || !rng.random_bool(chance) {
            continue;
        }
        let applied = start + days(rng, 0, 400);
        if applied > world::as_of() {
            continue;
        }
        let gram_panchayat = if authority == "gram_panchayat" {
            panchayat_of(p.block, rng)
        } else {
            None
        };
        let roll: f64 = rng.random();
        let (mut status, mut decided, mut received) = ("pending", None, None);
        if roll < 0.62 {
            let d = applied + days(rng, 10, 220);
            let r = d + days(rng, 0, 30);
            if let (Some(d), Some(r)) = (by_now(d), by_now(r)) {
                (status, decided, received) = ("received", Some(d), Some(r));
            }
        } else if roll < 0.72 {
            if let Some(d) = by_now(applied + days(rng, 20, 160)) {
                (status, decided) = ("rejected", Some(d));
            }
        } else if roll < 0.75 {
            status = "withdrawn";
        }
        // Escalated when the authority sat on it (or refused it).
        let waited = decided.unwrap_or(world::as_of()) - applied;
        let escalation = (status != "withdrawn" && waited.num_days() > 75 && rng.random_bool(0.45))
            .then(|| {
                let at = applied + days(rng, 60, 75);
                let to = match authority {
                    "gram_panchayat" => "block_office",
                    "block_office" => *["sub_division", "district_administration"]
                        .choose(rng)
                        .expect("non-empty"),
                    _ => *["district_administration", "dlsa"].choose(rng).expect("non-empty"),
                };
                let resolved = rng.random_bool(0.6).then(|| at + days(rng, 3, 70)).and_then(by_now);
                (at, to, resolved)
            })
            .filter(|e| e.0 <= world::as_of());
        out.push(Application {
            id: *next_id,
            person: p.id,
            entitlement,
            authority,
            gram_panchayat,
            applied,
            decided,
            received,
            status,
            escalation,
        });
        *next_id += 1;
    }
    out
}

/// What an application's record holds, as the truth's clean values.
fn application_truth(
    a: &Application,
    p: &Person,
    partner: &str,
    true_ref: &str,
    blocks: &[KnownEntry],
) -> Vec<(&'static str, String)> {
    vec![
        ("partner_id", partner.to_string()),
        ("true_ref", true_ref.to_string()),
        ("entitlement_ref", true_ref.to_string()),
        ("entitlement_id", a.id.to_string()),
        ("person_id", p.id.to_string()),
        ("survivor_ref", survivor_ref(partner, p.id)),
        ("entitlement", a.entitlement.to_string()),
        ("authority", a.authority.to_string()),
        ("district", p.district.to_string()),
        ("block", canonical_block(p.block, blocks)),
        ("gram_panchayat", a.gram_panchayat.unwrap_or_default().to_string()),
        ("applied_date", iso(Some(a.applied))),
        ("decided_date", iso(a.decided)),
        ("received_date", iso(a.received)),
        ("status", a.status.to_string()),
        ("escalation_date", iso(a.escalation.map(|e| e.0))),
        (
            "escalated_to",
            a.escalation.map(|e| e.1).unwrap_or_default().to_string(),
        ),
        ("escalation_resolved_date", iso(a.escalation.and_then(|e| e.2))),
    ]
}

/// The gazetteer's name of a block the world writes in one of its spellings.
fn canonical_block(block: &str, blocks: &[KnownEntry]) -> String {
    cells::known_entry(blocks, block).map_or_else(|| block.to_string(), |e| e.name.clone())
}

/// Write the three partners' registers and their truth.
pub(super) fn write(
    world: &World,
    assignment: &HashMap<&'static str, Held>,
    blocks: &[KnownEntry],
    seed: u64,
    inbox: &Path,
    truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
    files: &mut Vec<(String, usize)>,
) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7072_6f67_7261_6d6d);
    let held = |partner: &str| -> HashSet<usize> { assignment[partner].people.iter().copied().collect() };
    let (ngo, collective, kobo) = (
        held("canning_shakti"),
        held("bijoy_collective"),
        held("sundarban_sathi"),
    );
    let mut next_id = 1;

    // The NGO follows every application of its clients; the collective
    // follows its members' (some the NGO follows too: one application, two records).
    let mut apps: Vec<Application> = Vec::new();
    let mut ngo_apps = Vec::new();
    let mut collective_apps = Vec::new();
    let mut people: Vec<usize> = ngo.union(&collective).copied().collect();
    people.sort_unstable();
    for id in people {
        let p = &world.people[id];
        for a in applications_of(p, &mut next_id, &mut rng) {
            let by_ngo = ngo.contains(&id);
            let by_collective = collective.contains(&id) && (!by_ngo || rng.random_bool(0.5));
            if by_ngo {
                ngo_apps.push(a.id);
            }
            if by_collective {
                collective_apps.push(a.id);
            }
            apps.push(a);
        }
    }
    let by_id: HashMap<usize, &Application> = apps.iter().map(|a| (a.id, a)).collect();

    // Each register's place in the inbox, its folder made: the path the
    // writer writes and the name the file list reports are one string.
    let place = |rel: &'static str| -> Result<(&'static str, std::path::PathBuf)> {
        let path = inbox.join(rel);
        let dir = path.parent().expect("a file in a folder");
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        Ok((rel, path))
    };

    let (rel, path) = place("canning_shakti/entitlements/Entitlement_tracker_FY2026-27.xlsx")?;
    let rows = ngo_tracker(&path, &ngo_apps, &by_id, world, blocks, &mut rng, truth)?;
    files.push((rel.into(), rows));

    let (rel, path) = place("bijoy_collective/suvidha/suvidha_followup.csv")?;
    let rows = collective_followup(&path, &collective_apps, &by_id, world, blocks, &mut rng, truth)?;
    files.push((rel.into(), rows));

    let (rel, path) =
        place("sundarban_sathi/followup/Rehabilitation_Follow-up_-_all_versions_-_labels_-_2026-11-02-10-31-55.xlsx")?;
    let mut kobo_people: Vec<usize> = kobo.into_iter().collect();
    kobo_people.sort_unstable();
    let rows = kobo_followup(&path, &kobo_people, world, &mut rng, truth)?;
    files.push((rel.into(), rows));

    let (rel, path) = place("bijoy_collective/karyakram/activity_register.csv")?;
    let mut members: Vec<usize> = collective.into_iter().collect();
    members.sort_unstable();
    let rows = activity_register(&path, &members, blocks, &mut rng, truth)?;
    files.push((rel.into(), rows));
    Ok(())
}

/// A date as the NGO's staff type it: dd.mm.yyyy text, or a date cell.
fn ngo_date(d: NaiveDate, rng: &mut ChaCha8Rng) -> Cell {
    if rng.random_bool(0.6) {
        Cell::S(d.format("%d.%m.%Y").to_string())
    } else {
        Cell::D(d)
    }
}

/// The NGO's free-text status, and whether the pipeline can read it.
fn ngo_status(a: &Application, rng: &mut ChaCha8Rng) -> (String, bool) {
    let office = match a.authority {
        "gram_panchayat" => "GP",
        "block_office" => "BDO",
        "sub_division" => "SDO",
        "district_administration" => "DM office",
        "cwc_dcpu" => "DCPU",
        _ => "office",
    };
    let text = match a.status {
        "received" => match rng.random_range(0..4) {
            0 => "Received".to_string(),
            1 => format!("Received on {}", a.received.expect("received").format("%d.%m.%Y")),
            2 => "Done".to_string(),
            _ => "received - card given to survivor".to_string(),
        },
        "rejected" => match rng.random_range(0..3) {
            0 => "Rejected".to_string(),
            1 => "Rejected (documents incomplete)".to_string(),
            _ => "Rejected - not eligible as per BDO".to_string(),
        },
        "withdrawn" => "Withdrawn".to_string(),
        _ => match rng.random_range(0..5) {
            0 => "Pending".to_string(),
            1 => format!("Pending at {office}"),
            2 => "Applied - follow up".to_string(),
            3 => format!("pending at {office}, follow up next week"),
            // A note the pipeline cannot read as a status: left unknown and flagged.
            _ => return (format!("Spoke to {office} clerk"), false),
        },
    };
    (text, true)
}

fn ngo_tracker(
    path: &Path,
    ids: &[usize],
    apps: &HashMap<usize, &Application>,
    world: &World,
    blocks: &[KnownEntry],
    rng: &mut ChaCha8Rng,
    truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
) -> Result<usize> {
    let headers = [
        "Sl.",
        "Client Code",
        "Scheme / Entitlement",
        "Applied to",
        "Block",
        "GP",
        "Date applied",
        "Status / follow-up",
        "Date of decision",
        "Date received",
        "Escalated on",
        "Escalated to",
        "Resolved on",
        "Remarks",
    ];
    let x = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Tracker").map_err(x)?;
    ws.write_string(0, 0, "Canning Shakti Vahini - Entitlement Linkage Tracker")
        .map_err(x)?;
    ws.write_string(1, 0, "FY 2026-27 (cumulative)").map_err(x)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h).map_err(x)?;
    }
    let office = |a: &str| match a {
        "gram_panchayat" => "Gram Panchayat",
        "block_office" => "BDO",
        "sub_division" => "SDO",
        "district_administration" => "DM Office",
        "cwc_dcpu" => "CWC/DCPU",
        "dlsa" => "DLSA",
        "state_department" => "State Dept",
        _ => "Other",
    };
    let mut written = 0;
    for (i, id) in ids.iter().enumerate() {
        let a = apps[id];
        let p = &world.people[a.person];
        let serial = (i + 1).to_string();
        let mut t = application_truth(a, p, "canning_shakti", &serial, blocks);
        let (status, readable) = ngo_status(a, rng);
        let mut corrupt = Vec::new();
        if !readable {
            t.retain(|(k, _)| *k != "status");
            t.push(("status", String::new()));
            corrupt.push("status");
        }
        let block = match rng.random_range(0..3) {
            0 => p.block.replace(" II", "-II").replace(" I", "-I"),
            1 => p.block.to_uppercase(),
            _ => p.block.to_string(),
        };
        let gp = a.gram_panchayat.map(|g| {
            if rng.random_bool(0.5) {
                format!("{g} GP")
            } else {
                g.to_string()
            }
        });
        let mut cells: Vec<Option<Cell>> = vec![
            Some(Cell::N((i + 1) as f64)),
            Some(Cell::S(survivor_ref("canning_shakti", p.id))),
            Some(Cell::S(english_spelling(a.entitlement, rng).to_string())),
            Some(Cell::S(office(a.authority).to_string())),
            Some(Cell::S(block)),
            gp.map(Cell::S),
            Some(ngo_date(a.applied, rng)),
            Some(Cell::S(status)),
            a.decided.map(|d| ngo_date(d, rng)),
            a.received.map(|d| ngo_date(d, rng)),
            a.escalation.map(|e| ngo_date(e.0, rng)),
            a.escalation.map(|e| Cell::S(office(e.1).to_string())),
            a.escalation.and_then(|e| e.2).map(|d| ngo_date(d, rng)),
            Some(Cell::S(
                [
                    "",
                    "Survivor's mother to bring papers",
                    "Called Rina di twice",
                    "Camp at Duare Sarkar",
                ]
                .choose(rng)
                .expect("non-empty")
                .to_string(),
            )),
        ];
        // A date typed impossibly: unrecoverable, flagged.
        if rng.random_bool(0.01) {
            cells[6] = Some(Cell::S("31.02.2025".into()));
            t.retain(|(k, _)| *k != "applied_date");
            t.push(("applied_date", String::new()));
            corrupt.push("applied_date");
        }
        t.push(("expected_status", "kept".into()));
        t.push(("corrupt_fields", corrupt.join(";")));
        truth.entry("entitlements").or_default().push(truth_row(&t));
        let r = 3 + i as u32;
        for (c, cell) in cells.into_iter().enumerate() {
            let c = c as u16;
            match cell {
                None => {}
                Some(Cell::S(s)) if s.is_empty() => {}
                Some(Cell::S(s)) => {
                    ws.write_string(r, c, s).map_err(x)?;
                }
                Some(Cell::N(n)) => {
                    ws.write_number(r, c, n).map_err(x)?;
                }
                Some(Cell::D(d)) => {
                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                        .map_err(x)?;
                    ws.write_datetime_with_format(r, c, &dt, &date_fmt).map_err(x)?;
                }
            }
        }
        written += 1;
    }
    wb.save(path).map_err(x)?;
    Ok(written)
}

/// CSV from Excel "CSV UTF-8" on Windows: a BOM, CRLF.
fn write_bom_csv(path: &Path, headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::io(path)(e.into());
    w.write_record(headers).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let text = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(text);
    std::fs::write(path, bytes).map_err(Error::io(path))
}

/// A date as the collective writes it: dd/mm/yyyy, often in Bengali digits.
fn collective_date(d: NaiveDate, rng: &mut ChaCha8Rng) -> String {
    let s = d.format("%d/%m/%Y").to_string();
    if rng.random_bool(0.5) { bengali_digits(&s) } else { s }
}

fn collective_followup(
    path: &Path,
    ids: &[usize],
    apps: &HashMap<usize, &Application>,
    world: &World,
    blocks: &[KnownEntry],
    rng: &mut ChaCha8Rng,
    truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
) -> Result<usize> {
    let headers = [
        "সদস্য নং",
        "সুবিধা",
        "কর্তৃপক্ষ",
        "ব্লক",
        "পঞ্চায়েত",
        "আবেদনের তারিখ",
        "অবস্থা",
        "পাওয়ার তারিখ",
        "উচ্চতর কর্তৃপক্ষে জানানো",
        "কোথায় জানানো",
        "সমাধানের তারিখ",
    ];
    let authority = |a: &str| match a {
        "gram_panchayat" => "পঞ্চায়েত",
        "block_office" => "বিডিও",
        "sub_division" => "মহকুমা",
        "district_administration" => "জেলা প্রশাসন",
        "cwc_dcpu" => "cwc",
        "dlsa" => "dlsa",
        _ => "অন্যান্য",
    };
    let status = |s: &str| match s {
        "received" => "পেয়েছে",
        "rejected" => "বাতিল",
        "withdrawn" => "প্রত্যাহার",
        _ => "চলছে",
    };
    let mut rows = Vec::new();
    for id in ids {
        let a = apps[id];
        let p = &world.people[a.person];
        let member = survivor_ref("bijoy_collective", p.id);
        // No id of its own: the pipeline joins the member's number and the entitlement.
        let true_ref = format!("{member} {}", bengali_spelling(a.entitlement));
        // Often the day the member told the collective she had applied,
        // some days after she did (never after she received it): the same
        // application, dated apart, which linkage must still join.
        let latest = a.received.unwrap_or(world::as_of()).min(world::as_of());
        let heard = if rng.random_bool(0.4) {
            (a.applied + days(rng, 1, 20)).min(latest).max(a.applied)
        } else {
            a.applied
        };
        let mut t = application_truth(a, p, "bijoy_collective", &true_ref, blocks);
        t.retain(|(k, _)| *k != "applied_date");
        t.push(("applied_date", iso(Some(heard))));
        // The collective writes no decision date and no district.
        t.retain(|(k, _)| !matches!(*k, "decided_date" | "district"));
        t.push(("decided_date", String::new()));
        t.push(("district", String::new()));
        t.push(("expected_status", "kept".into()));
        t.push(("corrupt_fields", String::new()));
        truth.entry("entitlements").or_default().push(truth_row(&t));
        let bn_gp = a
            .gram_panchayat
            .and_then(|g| PANCHAYATS.iter().find(|x| x.0 == g))
            .map(|x| x.2.to_string())
            .unwrap_or_default();
        rows.push(vec![
            member,
            bengali_spelling(a.entitlement).to_string(),
            authority(a.authority).to_string(),
            p.block.to_string(),
            bn_gp,
            collective_date(heard, rng),
            status(a.status).to_string(),
            a.received.map(|d| collective_date(d, rng)).unwrap_or_default(),
            a.escalation.map(|e| collective_date(e.0, rng)).unwrap_or_default(),
            a.escalation
                .map(|e| match e.1 {
                    "block_office" => "বিডিও",
                    "sub_division" => "মহকুমা",
                    "district_administration" => "জেলা",
                    _ => "dlsa",
                })
                .unwrap_or_default()
                .to_string(),
            a.escalation
                .and_then(|e| e.2)
                .map(|d| collective_date(d, rng))
                .unwrap_or_default(),
        ]);
    }
    write_bom_csv(path, &headers, &rows)?;
    Ok(rows.len())
}

const DOMAINS: [(&str, &str); 7] = [
    ("reviewed_safety", "Safety"),
    ("reviewed_health", "Health"),
    ("reviewed_mental_health", "Mental health"),
    ("reviewed_livelihood", "Livelihood"),
    ("reviewed_education", "Education"),
    ("reviewed_legal", "Legal"),
    ("reviewed_family", "Family"),
];

const RISKS: [(&str, &str, f64); 4] = [
    ("risk_threat_from_accused", "Threat from accused", 0.10),
    ("risk_retrafficking", "Risk of re-trafficking", 0.05),
    ("risk_forced_marriage", "Forced marriage", 0.04),
    ("risk_domestic_violence", "Domestic violence", 0.07),
];

/// Reviews of a survivor's plan: the first a month or three after she was
/// registered, each setting the next (90 days on, 180 once she is
/// settled), done around its due date; some plans lapse.
fn reviews_of(p: &Person, next_id: &mut usize, rng: &mut ChaCha8Rng) -> Vec<Review> {
    let mut out = Vec::new();
    let mut date = p.registered + days(rng, 30, 90);
    let lapses = rng.random_bool(0.2);
    while date <= world::as_of() && out.len() < 20 {
        let gap = if out.len() >= 4 && rng.random_bool(0.5) {
            180
        } else {
            90
        };
        let next_due = date + chrono::Duration::days(gap);
        let mut domains = [false; 7];
        for d in domains.iter_mut() {
            *d = rng.random_bool(0.6);
        }
        domains[0] = true;
        let mut risks = [false; 4];
        for (r, (_, _, chance)) in risks.iter_mut().zip(RISKS) {
            *r = rng.random_bool(chance);
        }
        let referral = risks.iter().any(|&r| r) || rng.random_bool(0.15);
        out.push(Review {
            id: *next_id,
            date,
            next_due,
            domains,
            risks,
            referral,
        });
        *next_id += 1;
        if lapses && out.len() >= 2 && rng.random_bool(0.3) {
            break;
        }
        // Done early, on the day, or late.
        date = next_due + days(rng, -20, 45);
    }
    out
}

/// The follow-up form's two sheets while they are written.
#[derive(Default)]
struct KoboSheets {
    parents: Vec<Vec<String>>,
    reviews: Vec<Vec<String>>,
}

impl KoboSheets {
    /// One submission: the survivor's row, and a repeat row per review.
    fn submit(
        &mut self,
        p: &Person,
        these: &[Review],
        rejected: bool,
        rng: &mut ChaCha8Rng,
        truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
    ) {
        let (parents, reviews) = (&mut self.parents, &mut self.reviews);
        let index = parents.len() + 1;
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            index * 7919,
            index,
            index % 4096,
            index % 4096,
            index
        );
        let submitted = these.last().map(|r| r.date).unwrap_or(world::as_of());
        let status = if rejected {
            "Not Approved"
        } else if rng.random_bool(0.7) {
            "Approved"
        } else {
            ""
        };
        parents.push(vec![
            format!("{}T10:02:11.000+05:30", submitted.format("%Y-%m-%d")),
            format!("{}T10:19:40.000+05:30", submitted.format("%Y-%m-%d")),
            survivor_ref("sundarban_sathi", p.id),
            p.block.to_string(),
            (400_000 + index).to_string(),
            uuid.clone(),
            format!("{}T11:40:02", submitted.format("%Y-%m-%d")),
            status.to_string(),
            index.to_string(),
        ]);
        for r in these {
            let review_index = reviews.len() + 1;
            let domains: Vec<&str> = DOMAINS
                .iter()
                .zip(r.domains)
                .filter(|(_, on)| *on)
                .map(|(d, _)| d.1)
                .collect();
            let risks: Vec<&str> = RISKS
                .iter()
                .zip(r.risks)
                .filter(|(_, on)| *on)
                .map(|(d, _)| d.1)
                .collect();
            let mut row = vec![
                r.date.format("%Y-%m-%d").to_string(),
                r.next_due.format("%Y-%m-%d").to_string(),
                domains.join(" "),
            ];
            row.extend(r.domains.iter().map(|&on| if on { "1" } else { "0" }.to_string()));
            row.push(if risks.is_empty() {
                "None".into()
            } else {
                risks.join(" ")
            });
            row.extend(r.risks.iter().map(|&on| if on { "1" } else { "0" }.to_string()));
            row.push(if risks.is_empty() { "1" } else { "0" }.into());
            row.push(if r.referral { "Yes" } else { "No" }.into());
            row.push(
                [
                    "",
                    "Mother worried about neighbours",
                    "Wants tailoring course",
                    "Husband's family pressuring",
                ]
                .choose(rng)
                .expect("non-empty")
                .to_string(),
            );
            row.extend([
                review_index.to_string(),
                "Rehabilitation Follow-up".to_string(),
                index.to_string(),
                (400_000 + index).to_string(),
                uuid.clone(),
                status.to_string(),
            ]);
            reviews.push(row);
            let mut t: Vec<(&str, String)> = vec![
                ("partner_id", "sundarban_sathi".into()),
                ("true_ref", review_index.to_string()),
                ("review_ref", review_index.to_string()),
                ("review_id", if rejected { String::new() } else { r.id.to_string() }),
                ("person_id", p.id.to_string()),
                ("survivor_ref", survivor_ref("sundarban_sathi", p.id)),
                ("review_date", iso(Some(r.date))),
                ("next_review_due", iso(Some(r.next_due))),
                ("referral_made", r.referral.to_string()),
                ("expected_status", if rejected { "quarantined" } else { "kept" }.into()),
                ("corrupt_fields", String::new()),
            ];
            for (d, on) in DOMAINS.iter().zip(r.domains) {
                t.push((d.0, on.to_string()));
            }
            for (k, on) in RISKS.iter().zip(r.risks) {
                t.push((k.0, on.to_string()));
            }
            truth.entry("rehabilitation_reviews").or_default().push(truth_row(&t));
        }
    }
}

/// The form's sheets' headers: the submission's, then the repeat group's.
fn kobo_headers() -> (Vec<String>, Vec<String>) {
    let parent_headers = [
        "start",
        "end",
        "Survivor/Survivor code",
        "Survivor/Block",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_index",
    ];
    let mut review_headers: Vec<String> = vec![
        "Review/Date of review".into(),
        "Review/Next review due on".into(),
        "Review/Domains reviewed".into(),
    ];
    review_headers.extend(DOMAINS.iter().map(|d| format!("Review/Domains reviewed/{}", d.1)));
    review_headers.push("Review/Risks identified".into());
    review_headers.extend(RISKS.iter().map(|r| format!("Review/Risks identified/{}", r.1)));
    review_headers.push("Review/Risks identified/None".into());
    review_headers.push("Review/Referral made?".into());
    review_headers.push("Review/Notes".into());
    review_headers.extend(super::records::REPEAT_EXTRAS.iter().map(|h| h.to_string()));
    (parent_headers.iter().map(|s| s.to_string()).collect(), review_headers)
}

fn kobo_followup(
    path: &Path,
    people: &[usize],
    world: &World,
    rng: &mut ChaCha8Rng,
    truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
) -> Result<usize> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let (parent_headers, review_headers) = kobo_headers();
    let mut sheets = KoboSheets::default();
    let mut next_id = 1;
    for &id in people {
        let p = &world.people[id];
        let these = reviews_of(p, &mut next_id, rng);
        if these.is_empty() {
            continue;
        }
        // A test submission, or one sent twice, that the supervisor rejected.
        if rng.random_bool(0.04) {
            sheets.submit(p, &these[..1], true, rng, truth);
        }
        sheets.submit(p, &these, false, rng, truth);
    }
    for (name, headers, rows) in [
        ("Rehabilitation Follow-up", parent_headers, &sheets.parents),
        ("review", review_headers, &sheets.reviews),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(x)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, h.as_str()).map_err(x)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(1 + r as u32, c as u16, v.as_str()).map_err(x)?;
                }
            }
        }
    }
    wb.save(path).map_err(x)?;
    Ok(sheets.parents.len() + sheets.reviews.len())
}

/// Kinds of activity, their level, the collective's Bengali word for it, and weight.
const ACTIVITIES: &[(&str, &str, &str, u32)] = &[
    ("panchayat_meeting", "gram_panchayat", "পঞ্চায়েত", 20),
    ("block_office_meeting", "block", "বিডিও", 12),
    ("police_meeting", "block", "থানা", 8),
    ("ahtu_meeting", "district", "এএইচটিইউ", 3),
    ("dlsa_meeting", "district", "জেলা আইনি পরিষেবা", 4),
    ("district_administration_meeting", "district", "ডিএম", 4),
    ("state_forum", "state", "রাজ্য স্তরের সভা", 3),
    ("national_forum", "national", "জাতীয় স্তরের সভা", 1),
    ("media", "state", "সংবাদমাধ্যম", 2),
    ("awareness_session", "village", "সচেতনতা সভা", 18),
    ("vcpc_meeting", "village", "ভিসিপিসি", 10),
    ("training", "block", "প্রশিক্ষণ", 5),
];

const ISSUES: &[(&str, &str)] = &[
    ("documents_identity", "কাগজপত্র"),
    ("food_social_security", "ভাতা"),
    ("housing", "বাড়ি"),
    ("livelihood_skills", "কাজ"),
    ("compensation", "ক্ষতিপূরণ"),
    ("prosecution", "মামলা"),
    ("safety", "নিরাপত্তা"),
    ("child_protection", "বাল্যবিবাহ"),
    ("prevention", "পাচার রোধ"),
];

const OUTCOMES: &[(&str, &str)] = &[
    ("commitment_obtained", "আশ্বাস"),
    ("action_taken", "কাজ হয়েছে"),
    ("follow_up_scheduled", "পরবর্তী সভা"),
    ("no_outcome", "কিছু হয়নি"),
];

fn activity_register(
    path: &Path,
    members: &[usize],
    blocks: &[KnownEntry],
    rng: &mut ChaCha8Rng,
    truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
) -> Result<usize> {
    let headers = [
        "ক্রমিক নং",
        "তারিখ",
        "কার সঙ্গে সভা",
        "স্তর",
        "জেলা",
        "ব্লক",
        "উপস্থিত সারভাইভার",
        "সারভাইভার নেতৃত্ব",
        "নেতৃত্বের সদস্য নং",
        "আলোচনার বিষয়",
        "ফলাফল",
        "বিস্তারিত",
    ];
    let level_bn = |l: &str| match l {
        "village" => "গ্রাম",
        "gram_panchayat" => "পঞ্চায়েত",
        "block" => "ব্লক",
        "district" => "জেলা",
        "state" => "রাজ্য",
        _ => "জাতীয়",
    };
    let mut day = NaiveDate::from_ymd_opt(2023, 4, 3).expect("valid date");
    let mut rows = Vec::new();
    let mut id = 1;
    while day <= world::as_of() {
        let kind = *ACTIVITIES.choose_weighted(rng, |a| a.3).expect("non-empty");
        let (block, district) = *names::BLOCKS[..11].choose(rng).expect("non-empty");
        let forum = matches!(kind.0, "state_forum" | "national_forum");
        let survivor_led = forum || rng.random_bool(0.55);
        let leader = (survivor_led && (forum || rng.random_bool(0.4)))
            .then(|| members.choose(rng).copied())
            .flatten();
        let participants = match kind.1 {
            "state" | "national" => rng.random_range(1..=4),
            "village" => rng.random_range(8..=60),
            _ => rng.random_range(3..=25),
        };
        let issue = *ISSUES.choose(rng).expect("non-empty");
        let outcome = *OUTCOMES.choose(rng).expect("non-empty");
        let a = Activity {
            id,
            date: day,
            kind: kind.0,
            level: kind.1,
            block,
            district,
            participants,
            survivor_led,
            leader,
            issue: issue.0,
            outcome: outcome.0,
        };
        // The serial in Bengali digits: the reference the pipeline keys.
        let serial = bengali_digits(&a.id.to_string());
        let count = match rng.random_range(0..4) {
            0 => format!("প্রায় {}", bengali_digits(&a.participants.to_string())),
            1 => a.participants.to_string(),
            _ => bengali_digits(&a.participants.to_string()),
        };
        rows.push(vec![
            serial,
            collective_date(a.date, rng),
            kind.2.to_string(),
            level_bn(a.level).to_string(),
            a.district.to_string(),
            a.block.to_string(),
            count,
            if a.survivor_led { "হ্যাঁ" } else { "না" }.to_string(),
            a.leader
                .map(|m| survivor_ref("bijoy_collective", m))
                .unwrap_or_default(),
            issue.1.to_string(),
            outcome.1.to_string(),
            ["", "প্রধান আশ্বাস দিয়েছেন", "পরের মাসে আবার যেতে হবে"]
                .choose(rng)
                .expect("non-empty")
                .to_string(),
        ]);
        let t: Vec<(&str, String)> = vec![
            ("partner_id", "bijoy_collective".into()),
            ("true_ref", bengali_digits(&a.id.to_string())),
            ("engagement_ref", bengali_digits(&a.id.to_string())),
            ("engagement_id", a.id.to_string()),
            ("engagement_date", iso(Some(a.date))),
            ("kind", a.kind.into()),
            ("level", a.level.into()),
            ("district", a.district.into()),
            ("block", canonical_block(a.block, blocks)),
            ("survivors_taking_part", a.participants.to_string()),
            ("survivor_led", a.survivor_led.to_string()),
            (
                "leader_ref",
                a.leader
                    .map(|m| survivor_ref("bijoy_collective", m))
                    .unwrap_or_default(),
            ),
            ("leader_person_id", a.leader.map(|m| m.to_string()).unwrap_or_default()),
            ("issue_raised", a.issue.into()),
            ("outcome", a.outcome.into()),
            ("expected_status", "kept".into()),
            ("corrupt_fields", String::new()),
        ];
        truth.entry("engagements").or_default().push(truth_row(&t));
        id += 1;
        day += days(rng, 1, 9);
    }
    write_bom_csv(path, &headers, &rows)?;
    Ok(rows.len())
}
