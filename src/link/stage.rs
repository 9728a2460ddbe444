//! The linkage stage of a run: survivors from the lake (dates, districts)
//! joined to their plaintext identifiers from the restricted area, linked,
//! and the bridge from every source record to its person written to the
//! lake as `link_survivors` (keys, ids and weights; no plaintext). The
//! trained model goes to the restricted area beside the inputs, since its
//! term frequencies are derived from names.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::model::Person;
use super::names::NameKey;
use super::{Linked, Settings, link};
use crate::error::{Error, Result};
use crate::lake::{self, dates, ints, partner_files, read, strings};
use crate::layout::RestrictedDir;
use crate::privacy::Pseudonymizer;

/// The figures a run reports for linkage.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LinkSummary {
    pub records: usize,
    pub people: usize,
    pub pairs_compared: usize,
    pub new_pairs_by_rule: Vec<(String, usize)>,
    pub skipped_blocks_by_rule: Vec<(String, usize)>,
    pub em_iterations: usize,
    pub lambda: f64,
    pub cases: super::entities::EntitySummary,
    pub claims: super::entities::EntitySummary,
}

/// Save the settings, the trained model and the blocking report as JSON.
/// Restricted: the model is trained on names.
pub fn save_model(path: &Path, settings: &Settings, linked: &Linked) -> Result<()> {
    let json = serde_json::json!({ "settings": settings, "model": linked.model, "blocking": linked.blocking });
    std::fs::write(path, serde_json::to_vec_pretty(&json).expect("serialisable")).map_err(Error::io(path))
}

/// One survivor record's identity in the bridge.
pub struct Record {
    pub partner_id: String,
    pub survivor_ref: String,
    pub source_file: String,
    pub source_row: i64,
}

/// Read every partner's survivors and their identifiers.
pub fn load(lake: &Path, restricted: &RestrictedDir) -> Result<(Vec<Record>, Vec<Person>)> {
    let mut records = Vec::new();
    let mut people = Vec::new();
    for (source, (partner, path)) in partner_files(lake, "survivors")?.into_iter().enumerate() {
        let source = source as u32;
        let lake_df = read(&path)?;
        let plain_path = crate::restricted::linkage_file(restricted, &partner, "survivors");
        let plain: HashMap<(String, i64), usize>;
        let plain_df = if plain_path.exists() {
            let df = read(&plain_path)?;
            plain = strings(&df, "source_file")
                .into_iter()
                .zip(ints(&df, "source_row"))
                .enumerate()
                .filter_map(|(i, (f, r))| Some(((f?, r?), i)))
                .collect();
            Some(df)
        } else {
            plain = HashMap::new();
            None
        };
        let col = |name: &str| plain_df.as_ref().map(|df| strings(df, name));
        let (names, guardians, phones, villages, identifiers) = (
            col("full_name"),
            col("guardian_name"),
            col("phone"),
            col("village"),
            col("other_identifier"),
        );
        let refs = strings(&lake_df, "survivor_ref");
        let files = strings(&lake_df, "source_file");
        let rows = ints(&lake_df, "source_row");
        let dob = dates(&lake_df, "date_of_birth");
        let rescue = dates(&lake_df, "rescue_date");
        let registered = dates(&lake_df, "registered_date");
        let age = ints(&lake_df, "age_years");
        let district = strings(&lake_df, "home_district");
        let block = strings(&lake_df, "home_block");
        for i in 0..lake_df.height() {
            let (Some(r), Some(f), Some(row)) = (&refs[i], &files[i], rows[i]) else {
                continue;
            };
            let at = plain.get(&(f.clone(), row)).copied();
            let pick = |v: &Option<Vec<Option<String>>>| at.and_then(|j| v.as_ref()?.get(j)?.clone());
            people.push(
                Person {
                    source,
                    guardian: pick(&guardians).as_deref().and_then(NameKey::new),
                    phone: pick(&phones),
                    identifier: pick(&identifiers),
                    village: pick(&villages),
                    dob: dob[i],
                    birth_year: match (rescue[i], age[i]) {
                        (Some(d), Some(a)) => Some(chrono::Datelike::year(&d) - a as i32),
                        _ => None,
                    },
                    age: age[i].map(|a| a as i32),
                    district: district[i].clone(),
                    block: block[i].as_deref().map(crate::privacy::normalise_place),
                    rescue: rescue[i],
                    registered: registered[i],
                    ..Person::default()
                }
                .with_name(pick(&names).as_deref()),
            );
            records.push(Record {
                partner_id: partner.clone(),
                survivor_ref: r.clone(),
                source_file: f.clone(),
                source_row: row,
            });
        }
    }
    Ok((records, people))
}

/// Link the lake's survivors and write `lake/link_survivors/`, the model
/// (restricted) and `reports/linkage.html`.
pub fn run(
    lake: &Path,
    restricted: &RestrictedDir,
    reports: &Path,
    pseudo: &Pseudonymizer,
    settings: &Settings,
    run_id: &str,
) -> Result<LinkSummary> {
    let (records, people) = load(lake, restricted)?;
    let linked: Linked = link(&people, settings);
    if let Some(w) = linked.blocking.warning() {
        tracing::warn!("{w}");
    }
    // The account of the linkage, values left out, beside the dashboard.
    let page = super::explain::Explained::new(&linked, &people, settings).html(run_id);
    std::fs::create_dir_all(reports).map_err(Error::io(reports))?;
    let page_path = reports.join(crate::report::LINKAGE);
    std::fs::write(&page_path, page).map_err(Error::io(&page_path))?;
    let ids: Vec<String> = records
        .iter()
        .map(|r| format!("{}\u{1f}{}", r.partner_id, r.survivor_ref))
        .collect();
    // The versions of one partner's survivor_ref are one person, whatever
    // the model said of them.
    let mut groups = super::union_find::UnionFind::new(ids.len());
    groups.union_by_key(linked.cluster.iter().map(|c| Some(*c)));
    groups.union_by_key(ids.iter().map(Some));
    let cluster = groups.labels();
    let keys = super::stable_keys(&ids, &cluster, |anchor| {
        format!("P-{}", &pseudo.token("person", anchor)[..16])
    });
    let mut size: HashMap<u32, u32> = HashMap::new();
    cluster.iter().for_each(|c| *size.entry(*c).or_default() += 1);
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "partner_id".into(),
            records.iter().map(|r| r.partner_id.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "survivor_ref".into(),
            records.iter().map(|r| r.survivor_ref.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source_file".into(),
            records.iter().map(|r| r.source_file.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source_row".into(),
            records.iter().map(|r| r.source_row).collect::<Vec<_>>(),
        ),
        Column::new("person_key".into(), keys.clone()),
        Column::new(
            "records_in_person".into(),
            cluster.iter().map(|c| size[c] as i64).collect::<Vec<_>>(),
        ),
        Column::new("best_match_weight".into(), linked.best_weight.clone()),
    ])
    .map_err(Error::frame("building link_survivors"))?;
    lake::write_consortium(&mut df, lake, "link_survivors")?;
    save_model(&crate::restricted::linkage_model(restricted, false)?, settings, &linked)?;
    let summary = LinkSummary {
        records: records.len(),
        people: size.len(),
        pairs_compared: linked.blocking.pairs,
        new_pairs_by_rule: linked
            .blocking
            .rules
            .iter()
            .map(|r| (r.rule.clone(), r.new_pairs))
            .collect(),
        skipped_blocks_by_rule: linked
            .blocking
            .rules
            .iter()
            .map(|r| (r.rule.clone(), r.skipped_blocks))
            .collect(),
        em_iterations: linked.model.em_iterations,
        lambda: linked.model.lambda,
        ..LinkSummary::default()
    };
    // Cases and claims need only the person keys: free the survivors' pairs,
    // model and identifiers first (at 1,000,000 people they are gigabytes).
    drop((linked, people, df, records));
    let person_of: super::entities::PersonKeys = ids.into_iter().zip(keys).collect();
    // Cases, then claims (which read the linked cases).
    let (cases, case_of) = super::cases::link(lake, pseudo, &person_of)?;
    let claims = super::claims::link(lake, pseudo, &person_of, &case_of)?;
    Ok(LinkSummary {
        cases,
        claims,
        ..summary
    })
}
