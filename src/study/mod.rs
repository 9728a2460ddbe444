//! De-identified research extracts (`tafteesh extract --spec`): person- and
//! case-level microdata for one study, written outside the restricted area
//! so a research team can take it away.
//!
//! The warehouse itself is pseudonymised, not anonymous: its tokens join
//! every table, its dates are exact, its places go down to the block. An
//! extract is made safe to hand over the way ARX makes one and CTDC
//! publishes one:
//! - the spec names every field; anything else stays behind, and keys,
//!   tokens, record pointers, dates of birth and places finer than a
//!   district are refused whatever the spec says ([`spec::refused`]);
//! - quasi-identifiers (what someone who knows her could match on: age,
//!   district, the quarter she was rescued) are generalised by the spec's
//!   hierarchies, and a date is never released finer than a quarter;
//! - k-anonymity on them, and l-diversity on sensitive fields (a case's
//!   outcome), by the least generalisation that stays within the allowed
//!   suppression ([`anonymise`]); the records that still fail are left
//!   out and counted;
//! - identifiers are new: study ids numbered in an order shuffled by the
//!   spec's seed, so an extract joins to nothing, not the warehouse nor
//!   another study's extract. The tables of one extract are not joined to
//!   each other either: a survivor's row and her cases' rows together
//!   would carry more quasi-identifiers than either table was checked on;
//! - reproducible: the same snapshot, spec and seed give the same files,
//!   byte for byte, and `extract.json` names the snapshot they came from.

pub mod anonymise;
pub mod spec;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use duckdb::Connection;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::layout::Layout;
use anonymise::{Interner, Lattice, Risk};
use spec::{DateLevel, FieldSpec, Hierarchy, Spec, TableSpec, Unit};

/// What one extract holds, as `extract.json` records it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub study: String,
    pub title: String,
    /// The published snapshot (run id) the extract was made from.
    pub snapshot: String,
    /// SHA-256 of the spec file as read.
    pub spec_sha256: String,
    pub seed: u64,
    pub k: u32,
    pub max_suppressed_share: f64,
    pub risk_threshold: f64,
    pub tables: Vec<TableSummary>,
    #[serde(skip)]
    pub folder: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSummary {
    pub name: String,
    pub unit: String,
    pub l: u32,
    pub records_in: usize,
    pub records_out: usize,
    pub suppressed_for_k: usize,
    pub suppressed_for_l: usize,
    /// Each quasi-identifier and the level it was released at.
    pub quasi_identifiers: BTreeMap<String, String>,
    pub sensitive: Vec<String>,
    pub risk_before: Risk,
    pub risk_after: Risk,
    pub nodes_tried: usize,
}

impl Unit {
    /// The warehouse table with one row per unit.
    fn table(self) -> &'static str {
        match self {
            Unit::Person => "dim_people",
            Unit::Case => "dim_cases",
            Unit::Entitlement => "dim_entitlements",
            Unit::Review => "fct_rehabilitation_reviews",
        }
    }

    /// The rows a unit is read from: the key the study ids replace, then
    /// the columns a spec may name.
    fn source(self) -> &'static str {
        match self {
            Unit::Person => "select person_key as _key, * exclude (person_key) from dim_people",
            Unit::Case => {
                "select case_key as _key, * exclude (case_key), \
                 datediff('day', fir_date, chargesheet_date) as days_fir_to_chargesheet, \
                 datediff('day', fir_date, ahtu_transfer_date) as days_fir_to_ahtu_transfer, \
                 datediff('day', fir_date, judgment_date) as days_fir_to_judgment \
                 from dim_cases"
            }
            Unit::Entitlement => "select entitlement_key as _key, * exclude (entitlement_key) from dim_entitlements",
            Unit::Review => {
                "select review_record_key as _key, * exclude (review_record_key), \
                 datediff('day', due_date, review_date) as days_after_due_date \
                 from fct_rehabilitation_reviews"
            }
        }
    }

    /// The study id's column, and the letter its values start with.
    pub(crate) fn study_id(self) -> (&'static str, &'static str) {
        match self {
            Unit::Person => ("study_person_id", "S"),
            Unit::Case => ("study_case_id", "C"),
            Unit::Entitlement => ("study_application_id", "E"),
            Unit::Review => ("study_review_id", "R"),
        }
    }
}

/// The columns a unit's rows add to the warehouse's, with what they mean.
const DERIVED: [(&str, &str); 4] = [
    (
        "days_fir_to_chargesheet",
        "Days from the FIR to the charge-sheet (blank if none yet).",
    ),
    (
        "days_fir_to_ahtu_transfer",
        "Days from the FIR to the case's transfer to an AHTU (blank if never transferred).",
    ),
    (
        "days_fir_to_judgment",
        "Days from the FIR to the judgment (blank if none yet).",
    ),
    (
        "days_after_due_date",
        "Days the review was done after its due date (negative: before it; blank for a plan's first review).",
    ),
];

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Float,
    Date,
    Text,
    Other,
}

fn kind_of(duck_type: &str) -> Kind {
    let t = duck_type.to_ascii_uppercase();
    match t.as_str() {
        "BOOLEAN" => Kind::Bool,
        "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "HUGEINT" | "UTINYINT" | "USMALLINT" | "UINTEGER"
        | "UBIGINT" => Kind::Int,
        "DOUBLE" | "FLOAT" | "REAL" => Kind::Float,
        "DATE" => Kind::Date,
        "VARCHAR" => Kind::Text,
        _ if t.starts_with("DECIMAL") => Kind::Float,
        _ => Kind::Other,
    }
}

/// Write the extract `spec` describes from the current snapshot; `places`
/// is the gazetteer's districts with their region (state or country), as
/// the configuration resolved it.
pub fn extract(
    layout: &Layout,
    places: &[(String, Option<String>, Option<&str>)],
    spec: &Spec,
    spec_path: &Path,
    spec_bytes: &[u8],
) -> Result<Summary> {
    let current = layout.current();
    let snapshot = std::fs::canonicalize(&current)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .ok_or_else(|| {
            Error::Usage(format!(
                "no current snapshot under {}: run the job first",
                layout.output().display()
            ))
        })?;
    let db = layout.current_snapshot().warehouse_db();
    let conn = crate::warehouse::open_read_only(&db)?;
    let regions: HashMap<String, String> = places
        .iter()
        .filter_map(|(district, region, _)| Some((district.clone(), region.clone()?)))
        .collect();
    // Every column a spec names must exist and suit its hierarchy; all
    // problems at once, naming the spec.
    let mut types: Vec<HashMap<String, String>> = Vec::new();
    let mut problems = Vec::new();
    for t in &spec.tables {
        let cols = describe(&conn, t.unit.source())?;
        problems.extend(field_problems(spec, t, &cols));
        types.push(cols);
    }
    if !problems.is_empty() {
        return Err(Error::Config {
            path: spec_path.to_path_buf(),
            problems,
        });
    }
    let building = layout.extract_building(&spec.study, &snapshot);
    let _ = std::fs::remove_dir_all(&building);
    std::fs::create_dir_all(&building).map_err(Error::io(&building))?;
    // Whatever stops the extract, nothing half written stays, and a full
    // disk is named as such (the Parquet writer says only "transport error").
    write_extract(
        &conn,
        (spec, spec_path, spec_bytes),
        &snapshot,
        layout,
        &regions,
        &types,
        &building,
    )
    .map_err(|e| {
        let _ = std::fs::remove_dir_all(&building);
        crate::disk::explain(e, &building)
    })
}

/// Write the extract's files into `building`, then move it into place.
fn write_extract(
    conn: &Connection,
    (spec, spec_path, spec_bytes): (&Spec, &Path, &[u8]),
    snapshot: &str,
    layout: &Layout,
    regions: &HashMap<String, String>,
    types: &[HashMap<String, String>],
    building: &Path,
) -> Result<Summary> {
    let mut summary = Summary {
        study: spec.study.clone(),
        title: spec.title.clone(),
        snapshot: snapshot.to_string(),
        spec_sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(spec_bytes))
        },
        seed: spec.seed,
        k: spec.k,
        max_suppressed_share: spec.max_suppressed_share,
        risk_threshold: spec.risk_threshold,
        tables: Vec::new(),
        folder: layout.extract(&spec.study, snapshot),
    };
    let mut codebook = String::new();
    for (t, cols) in spec.tables.iter().zip(types) {
        let started = std::time::Instant::now();
        let (table, book) = one_table(conn, (spec, spec_path), t, cols, regions, building)?;
        tracing::info!(
            table = %t.name,
            records_in = table.records_in,
            records_out = table.records_out,
            suppressed = table.suppressed_for_k + table.suppressed_for_l,
            seconds = started.elapsed().as_secs_f64(),
            "extract table written"
        );
        summary.tables.push(table);
        codebook.push_str(&book);
    }
    let manifest = crate::layout::extract::manifest(building);
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&manifest, json).map_err(Error::io(&manifest))?;
    let book = crate::layout::extract::codebook(building);
    std::fs::write(&book, codebook_text(&summary, &codebook)).map_err(Error::io(&book))?;
    crate::run::publish::seal_tree(building)?;
    let folder = &summary.folder;
    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(Error::io(folder))?;
    }
    std::fs::rename(building, folder).map_err(Error::io(folder))?;
    Ok(summary)
}

/// A source's columns and their DuckDB types.
fn describe(conn: &Connection, sql: &str) -> Result<HashMap<String, String>> {
    text_pairs(
        conn,
        &format!("select column_name, column_type from (describe ({sql}))"),
        [],
        "describing an extract's source",
    )
}

/// A query's two text columns as a map from the first to the second.
fn text_pairs<P: duckdb::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    ctx: &str,
) -> Result<HashMap<String, String>> {
    let mut stmt = conn.prepare(sql).map_err(Error::warehouse(ctx.to_string()))?;
    stmt.query_map(params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(Error::warehouse(ctx.to_string()))
}

/// Fields that name no column of their unit, or a column their hierarchy
/// cannot read, or a date released without being generalised.
fn field_problems(spec: &Spec, t: &TableSpec, cols: &HashMap<String, String>) -> Vec<String> {
    let mut p = Vec::new();
    for f in &t.fields {
        let at = format!("table `{}`, field `{}`", t.name, f.column);
        let Some(ty) = cols.get(&f.column).filter(|_| f.column != "_key") else {
            let mut known: Vec<&str> = cols
                .keys()
                .map(String::as_str)
                .filter(|c| *c != "_key" && spec::refused(c).is_none())
                .collect();
            known.sort();
            let unit = format!("{:?}", t.unit).to_lowercase();
            p.push(format!("{at}: no such column; a {unit} has {}", known.join(", ")));
            continue;
        };
        let kind = kind_of(ty);
        let hierarchy = f.quasi.as_ref().and_then(|h| spec.hierarchies.get(h));
        let fits = match hierarchy {
            None => kind != Kind::Date && kind != Kind::Other,
            Some(Hierarchy::Bands { .. }) => matches!(kind, Kind::Int | Kind::Float),
            Some(Hierarchy::Dates { .. }) => kind == Kind::Date,
            Some(Hierarchy::Places { .. }) => kind == Kind::Text,
            Some(Hierarchy::Categories) => kind != Kind::Other && kind != Kind::Date,
        };
        if !fits {
            p.push(match (kind, hierarchy) {
                (Kind::Date, None) => {
                    format!("{at}: a date is released only as a quasi-identifier, by a `dates` hierarchy")
                }
                _ => format!("{at}: a {ty} column cannot take this hierarchy"),
            });
        }
    }
    p
}

/// One generalised value of a quasi-identifier, at `level` of its
/// hierarchy (the last level is "*").
fn generalise(h: &Hierarchy, level: usize, v: &Option<String>, regions: &HashMap<String, String>) -> Option<String> {
    let v = v.as_deref()?;
    Some(match h {
        Hierarchy::Bands { levels } => match levels.get(level) {
            Some(bounds) => band(bounds, v.parse::<f64>().ok()?.floor() as i64),
            None => "*".into(),
        },
        Hierarchy::Dates { levels } => match levels.get(level) {
            Some(l) => {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
                let (fy, q) = crate::period::quarter_of(d);
                let year = format!("FY {}-{:02}", fy, (fy + 1) % 100);
                match l {
                    DateLevel::Quarter => format!("{year} Q{q}"),
                    DateLevel::FinancialYear => year,
                    DateLevel::Year => chrono::Datelike::year(&d).to_string(),
                }
            }
            None => "*".into(),
        },
        Hierarchy::Places { regions: own } => match level {
            0 => v.to_string(),
            1 => own
                .get(v)
                .or_else(|| regions.get(v))
                .cloned()
                .unwrap_or_else(|| "Other".into()),
            _ => "*".into(),
        },
        Hierarchy::Categories => match level {
            0 => v.to_string(),
            _ => "*".into(),
        },
    })
}

/// The band a number falls in: "9-17", "60+", or "<0" below the first.
fn band(bounds: &[i64], x: i64) -> String {
    match bounds.iter().rposition(|&b| b <= x) {
        None => format!("<{}", bounds[0]),
        Some(i) if i + 1 == bounds.len() => format!("{}+", bounds[i]),
        Some(i) => format!("{}-{}", bounds[i], bounds[i + 1] - 1),
    }
}

/// The levels of a hierarchy, "*" included.
fn height(h: &Hierarchy) -> usize {
    h.height()
}

/// A level, in words, for the codebook and `extract.json`.
fn level_name(h: &Hierarchy, level: usize) -> String {
    if level + 1 == height(h) {
        return "withheld (*)".into();
    }
    match h {
        Hierarchy::Bands { levels } => {
            let b = &levels[level];
            let bands: Vec<String> = (0..b.len()).map(|i| band(b, b[i])).collect();
            format!("bands {}", bands.join(", "))
        }
        Hierarchy::Dates { levels } => match levels[level] {
            DateLevel::Quarter => "financial quarter".into(),
            DateLevel::FinancialYear => "financial year".into(),
            DateLevel::Year => "calendar year".into(),
        },
        Hierarchy::Places { .. } => ["district", "region"][level].into(),
        Hierarchy::Categories => "as recorded".into(),
    }
}

/// Read, anonymise and write one table; returns its summary and its
/// codebook section.
fn one_table(
    conn: &Connection,
    (spec, spec_path): (&Spec, &Path),
    t: &TableSpec,
    types: &HashMap<String, String>,
    regions: &HashMap<String, String>,
    dir: &Path,
) -> Result<(TableSummary, String)> {
    let select: Vec<String> = t
        .fields
        .iter()
        .map(|f| format!("cast(\"{}\" as varchar)", f.column.replace('"', "\"\"")))
        .collect();
    let sql = format!(
        "select _key, {} from ({}) order by _key",
        select.join(", "),
        t.unit.source()
    );
    let context = || format!("reading the rows of extract table `{}`", t.name);
    let mut stmt = conn.prepare(&sql).map_err(Error::warehouse(context()))?;
    let width = t.fields.len();
    let mut keys: Vec<String> = Vec::new();
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); width];
    let mut rows = stmt.query([]).map_err(Error::warehouse(context()))?;
    while let Some(r) = rows.next().map_err(Error::warehouse(context()))? {
        keys.push(r.get::<_, String>(0).map_err(Error::warehouse(context()))?);
        for (i, col) in cells.iter_mut().enumerate() {
            col.push(r.get::<_, Option<String>>(i + 1).map_err(Error::warehouse(context()))?);
        }
    }
    let n = keys.len();
    // The lattice: every quasi-identifier at every level, interned.
    let quasi: Vec<(usize, &FieldSpec, &Hierarchy)> = t
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, f, spec.hierarchies.get(f.quasi.as_ref()?)?)))
        .collect();
    let lattice = Lattice {
        qi: quasi
            .iter()
            .map(|(i, _, h)| {
                (0..height(h))
                    .map(|lv| {
                        let mut ids = Interner::default();
                        cells[*i]
                            .iter()
                            .map(|v| ids.id(generalise(h, lv, v, regions)))
                            .collect()
                    })
                    .collect()
            })
            .collect(),
        sensitive: t
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.sensitive)
            .map(|(i, _)| {
                let mut ids = Interner::default();
                cells[i].iter().map(|v| ids.id(v.clone())).collect()
            })
            .collect(),
        records: n,
        weights: quasi.iter().map(|(_, f, _)| f.weight).collect(),
    };
    let budget = anonymise::Budget {
        seconds: spec.max_seconds,
        table: &t.name,
    };
    let outcome = lattice
        .solve(spec.k, t.l, spec.max_suppressed_share, &budget)
        .map_err(|why| Error::Config {
            path: spec_path.to_path_buf(),
            problems: vec![why],
        })?;
    let before = lattice.risk(&vec![0; quasi.len()], &vec![true; n], spec.risk_threshold);
    let after = lattice.risk(&outcome.node, &outcome.kept, spec.risk_threshold);
    // Study ids: the released records in an order shuffled by the seed
    // (and the study and table, so two extracts' ids never line up).
    let mut order: Vec<usize> = (0..n).filter(|&r| outcome.kept[r]).collect();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(mix(spec.seed, &spec.study, &t.name));
    order.shuffle(&mut rng);
    let (id_name, prefix) = t.unit.study_id();
    let digits = order.len().max(1).to_string().len().max(4);
    let ids: Vec<String> = (1..=order.len()).map(|i| format!("{prefix}{i:0digits$}")).collect();
    // The released values, in study-id order.
    let level_of: HashMap<usize, (usize, &Hierarchy)> = quasi
        .iter()
        .zip(&outcome.node)
        .map(|((i, _, h), &lv)| (*i, (lv, *h)))
        .collect();
    let out_cols: Vec<Vec<Option<String>>> = (0..width)
        .map(|i| {
            order
                .iter()
                .map(|&r| match level_of.get(&i) {
                    Some((lv, h)) => generalise(h, *lv, &cells[i][r], regions),
                    None => cells[i][r].clone(),
                })
                .collect()
        })
        .collect();
    let kinds: Vec<Kind> = t
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if level_of.contains_key(&i) {
                Kind::Text
            } else {
                kind_of(&types[&f.column])
            }
        })
        .collect();
    write_table(dir, &t.name, id_name, &ids, t, &kinds, &out_cols)?;
    let summary = TableSummary {
        name: t.name.clone(),
        unit: format!("{:?}", t.unit).to_lowercase(),
        l: t.l,
        records_in: n,
        records_out: order.len(),
        suppressed_for_k: outcome.suppressed_for_k,
        suppressed_for_l: outcome.suppressed_for_l,
        quasi_identifiers: quasi
            .iter()
            .zip(&outcome.node)
            .map(|((_, f, h), &lv)| (f.output_name().to_string(), level_name(h, lv)))
            .collect(),
        sensitive: t
            .fields
            .iter()
            .filter(|f| f.sensitive)
            .map(|f| f.output_name().to_string())
            .collect(),
        risk_before: before,
        risk_after: after,
        nodes_tried: outcome.nodes_tried,
    };
    let book = table_codebook(conn, t, &summary, id_name)?;
    Ok((summary, book))
}

/// A seed from the spec's seed, study and table.
fn mix(seed: u64, study: &str, table: &str) -> u64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("{seed}\u{1f}{study}\u{1f}{table}").as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("eight bytes"))
}

/// Write a table as Parquet (plain types, readable by old clients) and CSV.
fn write_table(
    dir: &Path,
    name: &str,
    id_name: &str,
    ids: &[String],
    t: &TableSpec,
    kinds: &[Kind],
    released: &[Vec<Option<String>>],
) -> Result<()> {
    use polars::prelude::{Column, DataFrame, PlSmallStr};
    let mut columns = vec![Column::new(id_name.into(), ids)];
    for ((f, kind), values) in t.fields.iter().zip(kinds).zip(released) {
        let n: PlSmallStr = f.output_name().into();
        columns.push(match kind {
            Kind::Bool => Column::new(
                n,
                values
                    .iter()
                    .map(|v| v.as_deref().map(|s| s == "true"))
                    .collect::<Vec<_>>(),
            ),
            Kind::Int => Column::new(
                n,
                values
                    .iter()
                    .map(|v| v.as_deref().and_then(|s| s.parse::<i64>().ok()))
                    .collect::<Vec<_>>(),
            ),
            Kind::Float => Column::new(
                n,
                values
                    .iter()
                    .map(|v| v.as_deref().and_then(|s| s.parse::<f64>().ok()))
                    .collect::<Vec<_>>(),
            ),
            _ => Column::new(n, values.iter().map(|v| v.as_deref()).collect::<Vec<_>>()),
        });
    }
    let mut df = DataFrame::new_infer_height(columns).map_err(Error::frame(format!("building extract {name}")))?;
    crate::lake::write_parquet(&mut df, &crate::layout::extract::table(dir, name, "parquet"))?;
    let path = crate::layout::extract::table(dir, name, "csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
    let header: Vec<&str> = std::iter::once(id_name)
        .chain(t.fields.iter().map(FieldSpec::output_name))
        .collect();
    let csv_err = |e: csv::Error| Error::Internal(format!("writing {}: {e}", path.display()));
    w.write_record(&header).map_err(csv_err)?;
    for (r, id) in ids.iter().enumerate() {
        let row: Vec<&str> = std::iter::once(id.as_str())
            .chain(released.iter().map(|c| c[r].as_deref().unwrap_or("")))
            .collect();
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush().map_err(|e| Error::io(&path)(e))?;
    Ok(())
}

/// A table's section of the codebook: every column, what it means (the
/// warehouse's own column comments), and how it was released.
fn table_codebook(conn: &Connection, t: &TableSpec, s: &TableSummary, id_name: &str) -> Result<String> {
    let comments = text_pairs(
        conn,
        "select column_name, coalesce(comment, '') from duckdb_columns() where table_name = ?",
        [t.unit.table()],
        "reading column comments",
    )?;
    let mut out = format!(
        "\n## {} ({} file: `{}.parquet`, `{}.csv`)\n\nOne row per {}: {} of {} records released; {} suppressed so that every combination of quasi-identifiers is shared by at least k records ({} of them for l-diversity, l = {}).\n\n| column | meaning | released as |\n|---|---|---|\n",
        s.name,
        s.unit,
        s.name,
        s.name,
        s.unit,
        s.records_out,
        s.records_in,
        s.suppressed_for_k + s.suppressed_for_l,
        s.suppressed_for_l,
        s.l,
    );
    out.push_str(&format!(
        "| `{id_name}` | A study id, numbered in an order shuffled by the spec's seed: it joins to nothing outside this table. | id |\n"
    ));
    for f in &t.fields {
        let meaning = DERIVED
            .iter()
            .find(|(c, _)| *c == f.column)
            .map(|(_, m)| m.to_string())
            .or_else(|| comments.get(&f.column).cloned())
            .unwrap_or_default();
        let how = match (&f.quasi, f.sensitive) {
            (Some(_), _) => format!(
                "quasi-identifier: {}",
                s.quasi_identifiers.get(f.output_name()).cloned().unwrap_or_default()
            ),
            (None, true) => format!("sensitive (l = {})", s.l),
            (None, false) if DERIVED.iter().any(|(c, _)| *c == f.column) => "counted from the warehouse's dates".into(),
            (None, false) => "as in the warehouse".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.output_name(),
            meaning.replace('|', "/").replace('\n', " "),
            how
        ));
    }
    let r = &s.risk_after;
    out.push_str(&format!(
        "\nRe-identification risk (prosecutor model, over the released records): highest {:.3} (smallest class {}), average {:.3}, records above the {} threshold {}. At the spec's finest levels, before a generalisation was chosen: highest {:.3}, average {:.3}, records at risk {} of {}.\n",
        r.highest,
        r.smallest_class,
        r.average,
        "risk",
        r.records_at_risk,
        s.risk_before.highest,
        s.risk_before.average,
        s.risk_before.records_at_risk,
        s.risk_before.records
    ));
    Ok(out)
}

fn codebook_text(s: &Summary, tables: &str) -> String {
    format!(
        "# {} — de-identified extract\n\n{}\n\nFrom snapshot `{}` of the Tafteesh warehouse, by spec SHA-256 `{}` with seed {}. k = {}; at most {:.0}% of a table's records suppressed; a record is \"at risk\" above a prosecutor risk of {}.\n\nThe tables do not join to each other, to the warehouse, or to any other extract: their ids are new for this study. Do not try to re-identify anyone, and keep the files as your data-sharing agreement says.\n{}",
        s.study,
        s.title,
        s.snapshot,
        s.spec_sha256,
        s.seed,
        s.k,
        s.max_suppressed_share * 100.0,
        s.risk_threshold,
        tables
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fall_in_their_bands_and_dates_in_their_periods() {
        let b = [0, 9, 18, 21, 26];
        assert_eq!(band(&b, 8), "0-8");
        assert_eq!(band(&b, 9), "9-17");
        assert_eq!(band(&b, 20), "18-20");
        assert_eq!(band(&b, 60), "26+");
        assert_eq!(band(&[5], 3), "<5");
        let dates = Hierarchy::Dates {
            levels: vec![DateLevel::Quarter, DateLevel::FinancialYear],
        };
        let d = Some("2024-02-10".to_string());
        let none = HashMap::new();
        assert_eq!(generalise(&dates, 0, &d, &none).as_deref(), Some("FY 2023-24 Q4"));
        assert_eq!(generalise(&dates, 1, &d, &none).as_deref(), Some("FY 2023-24"));
        assert_eq!(generalise(&dates, 2, &d, &none).as_deref(), Some("*"));
        assert_eq!(generalise(&dates, 0, &None, &none), None, "unknown stays unknown");
        let places = Hierarchy::Places {
            regions: BTreeMap::from([("Nadia".to_string(), "Presidency".to_string())]),
        };
        let gaz = HashMap::from([("Ranchi".to_string(), "Jharkhand".to_string())]);
        let at = |lv, v: &str| generalise(&places, lv, &Some(v.to_string()), &gaz).unwrap();
        assert_eq!(
            (at(0, "Nadia"), at(1, "Nadia"), at(1, "Ranchi"), at(1, "Atlantis")),
            ("Nadia".into(), "Presidency".into(), "Jharkhand".into(), "Other".into())
        );
        assert_eq!(level_name(&dates, 1), "financial year");
        assert_eq!(level_name(&places, 2), "withheld (*)");
    }

    #[test]
    fn study_ids_depend_on_seed_study_and_table() {
        assert_ne!(mix(1, "a", "t"), mix(2, "a", "t"));
        assert_ne!(mix(1, "a", "t"), mix(1, "b", "t"));
        assert_ne!(mix(1, "a", "t"), mix(1, "a", "u"));
        assert_eq!(mix(1, "a", "t"), mix(1, "a", "t"));
    }
}
