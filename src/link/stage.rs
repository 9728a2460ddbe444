//! The linkage stage of a run: survivors from the lake (dates, districts)
//! joined to their plaintext identifiers from the restricted area, linked,
//! and the bridge from every source record to its person written to the
//! lake as `link_survivors` (keys, ids and weights; no plaintext). The
//! trained model goes to the restricted area beside the inputs, since its
//! term frequencies are derived from names.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use super::model::Person;
use super::names::NameKey;
use super::{Linked, Settings, link};
use crate::error::{Error, Result};
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

/// Read a whole Parquet file.
pub fn read(path: &Path) -> Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    ParquetReader::new(f)
        .finish()
        .map_err(Error::frame(format!("reading {}", path.display())))
}

/// Read some columns of a Parquet file (each must be there).
pub fn read_columns(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    ParquetReader::new(f)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .finish()
        .map_err(Error::frame(format!("reading {}", path.display())))
}

/// Save the settings, the trained model and the blocking report as JSON.
/// Restricted: the model is trained on names.
pub fn save_model(path: &Path, settings: &Settings, linked: &Linked) -> Result<()> {
    let json = serde_json::json!({ "settings": settings, "model": linked.model, "blocking": linked.blocking });
    std::fs::write(path, serde_json::to_vec_pretty(&json).expect("serialisable")).map_err(Error::io(path))
}

/// A column as text, `None` per row where it is null or the column is absent.
pub fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    match df.column(name).ok().and_then(|c| c.cast(&DataType::String).ok()) {
        Some(c) => c
            .str()
            .expect("cast to string")
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        None => vec![None; df.height()],
    }
}

pub fn ints(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    match df.column(name).ok().and_then(|c| c.cast(&DataType::Int64).ok()) {
        Some(c) => c.i64().expect("cast to i64").iter().collect(),
        None => vec![None; df.height()],
    }
}

pub fn dates(df: &DataFrame, name: &str) -> Vec<Option<NaiveDate>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    ints(df, name)
        .into_iter()
        .map(|d| d.map(|d| epoch + chrono::Duration::days(d)))
        .collect()
}

/// Each partner's Parquet file of a lake table, by partner id, in order.
/// A table no partner exported has no folder: no files.
pub fn partner_files(lake: &Path, table: &str) -> Result<Vec<(String, std::path::PathBuf)>> {
    let dir = lake.join(table);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(Error::io(&dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|p| {
            let partner = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            (partner, p)
        })
        .collect())
}

/// One survivor record's identity in the bridge.
pub struct Record {
    pub partner_id: String,
    pub survivor_ref: String,
    pub source_file: String,
    pub source_row: i64,
}

/// Read every partner's survivors and their identifiers.
pub fn load(lake: &Path, restricted: &Path) -> Result<(Vec<Record>, Vec<Person>)> {
    let mut records = Vec::new();
    let mut people = Vec::new();
    for (partner, path) in partner_files(lake, "survivors")? {
        let lake_df = read(&path)?;
        let plain_path = restricted.join("linkage").join(&partner).join("survivors.parquet");
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
        let (names, guardians, phones, villages) =
            (col("full_name"), col("guardian_name"), col("phone"), col("village"));
        let refs = strings(&lake_df, "survivor_ref");
        let files = strings(&lake_df, "source_file");
        let rows = ints(&lake_df, "source_row");
        let dob = dates(&lake_df, "date_of_birth");
        let rescue = dates(&lake_df, "rescue_date");
        let age = ints(&lake_df, "age_years");
        let district = strings(&lake_df, "home_district");
        let block = strings(&lake_df, "home_block");
        for i in 0..lake_df.height() {
            let (Some(r), Some(f), Some(row)) = (&refs[i], &files[i], rows[i]) else {
                continue;
            };
            let at = plain.get(&(f.clone(), row)).copied();
            let pick = |v: &Option<Vec<Option<String>>>| at.and_then(|j| v.as_ref()?.get(j)?.clone());
            people.push(Person {
                name: pick(&names).as_deref().and_then(NameKey::new),
                guardian: pick(&guardians).as_deref().and_then(NameKey::new),
                phone: pick(&phones),
                village: pick(&villages),
                dob: dob[i],
                birth_year: match (rescue[i], age[i]) {
                    (Some(d), Some(a)) => Some(chrono::Datelike::year(&d) - a as i32),
                    _ => None,
                },
                district: district[i].clone(),
                block: block[i].as_deref().map(crate::privacy::normalise_place),
                rescue: rescue[i],
            });
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

/// Link the lake's survivors and write `lake/link_survivors/` and the model.
pub fn run(lake: &Path, restricted: &Path, pseudo: &Pseudonymizer, settings: &Settings) -> Result<LinkSummary> {
    let (records, people) = load(lake, restricted)?;
    let linked: Linked = link(&people, settings);
    let ids: Vec<String> = records
        .iter()
        .map(|r| format!("{}\u{1f}{}", r.partner_id, r.survivor_ref))
        .collect();
    // The versions of one partner's survivor_ref are one person, whatever
    // the model said of them.
    let mut groups = super::entities::Groups::new(ids.len());
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
    let out = lake.join("link_survivors");
    std::fs::create_dir_all(&out).map_err(Error::io(&out))?;
    crate::ingest::write_parquet(&mut df, &out.join("consortium.parquet"))?;
    save_model(
        &crate::privacy::restricted_dir(&restricted.join("linkage"))?.join("model.json"),
        settings,
        &linked,
    )?;
    let summary = LinkSummary {
        records: records.len(),
        people: size.len(),
        pairs_compared: linked.blocking.pairs,
        new_pairs_by_rule: linked.blocking.new_pairs_by_rule.clone(),
        skipped_blocks_by_rule: linked.blocking.skipped_blocks_by_rule.clone(),
        em_iterations: linked.model.em_iterations,
        lambda: linked.model.lambda,
        ..LinkSummary::default()
    };
    // Cases and claims need only the person keys: free the survivors' pairs,
    // model and identifiers first (at 1,000,000 people they are gigabytes).
    drop((linked, people, df, records));
    let person_of: super::entities::PersonKeys = ids.into_iter().zip(keys).collect();
    let (cases, claims) = super::entities::run(lake, pseudo, &person_of)?;
    Ok(LinkSummary {
        cases,
        claims,
        ..summary
    })
}
