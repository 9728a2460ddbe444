//! The warehouse: an embedded DuckDB file built from the lake's Parquet, with
//! the SQL models of `sql/` run in dependency order and their tests checked.
//!
//! Models are layered like dbt: `staging` (only these read the lake's raw
//! tables), `intermediate`, `marts`, then `indicators`, whose rows are
//! gathered into one `indicator_values` table. A model's dependencies are
//! the other models its SQL names. Each model has a TOML file beside it with
//! its description, grain and tests (unique, not null, accepted values).
//!
//! DuckDB never reaches for the network: extension autoinstall and autoload
//! are off, so a nightly run behaves the same offline.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use crate::config::SQL_DIR;
use crate::error::{Error, Result};

/// The layers, in the order they run.
pub const LAYERS: [&str; 4] = ["staging", "intermediate", "marts", "indicators"];

/// Tests declared beside a model.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTests {
    #[serde(default)]
    pub unique: Vec<String>,
    #[serde(default)]
    pub not_null: Vec<String>,
    /// Column -> allowed values.
    #[serde(default)]
    pub accepted_values: BTreeMap<String, Vec<String>>,
}

/// Metadata of a staging, intermediate or mart model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    pub description: String,
    pub grain: String,
    #[serde(default)]
    pub tests: ModelTests,
}

/// Metadata of an indicator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorMeta {
    pub id: String,
    /// The reports group indicators by theme ("Prosecution", "Compensation", ...)
    pub theme: String,
    /// and show them in this order.
    pub order: u32,
    pub title: String,
    /// Plain-language definition.
    pub definition: String,
    pub numerator: String,
    pub denominator: Option<String>,
    /// "%", "INR", "count" or "days".
    pub unit: String,
    /// "higher" or "lower" is better.
    pub better: String,
    /// Where the formula comes from (NCRB, the programme).
    pub source: String,
    /// The date that places a record in a financial year.
    pub period_by: String,
    /// The breakdowns it can be shown by, besides the consortium total.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Targets the programme set, by period ("FY 2025-26" = 25.0).
    #[serde(default)]
    pub targets: BTreeMap<String, f64>,
}

/// One SQL model with its metadata.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub layer: &'static str,
    pub sql: String,
    pub meta: Option<ModelMeta>,
    pub indicator: Option<IndicatorMeta>,
}

/// All models, in the order they must run.
#[derive(Debug)]
pub struct Project {
    pub macros: String,
    pub models: Vec<Model>,
}

impl Project {
    /// Load `sql/` (compiled in), check every model has its metadata, and
    /// order the models by layer and dependency.
    pub fn load() -> Result<Project> {
        let mut problems = Vec::new();
        let macros = SQL_DIR
            .get_file("macros.sql")
            .and_then(|f| f.contents_utf8())
            .unwrap_or_default()
            .to_string();
        let mut models = Vec::new();
        for layer in LAYERS {
            let Some(dir) = SQL_DIR.get_dir(layer) else { continue };
            let mut in_layer = Vec::new();
            for f in dir.files().filter(|f| f.path().extension().is_some_and(|e| e == "sql")) {
                let name = f.path().file_stem().unwrap_or_default().to_string_lossy().into_owned();
                let meta_path = f.path().with_extension("toml");
                let meta_text = SQL_DIR.get_file(&meta_path).and_then(|m| m.contents_utf8());
                let mut model = Model {
                    name: name.clone(),
                    layer,
                    sql: f.contents_utf8().unwrap_or_default().to_string(),
                    meta: None,
                    indicator: None,
                };
                match meta_text {
                    None => problems.push(format!("sql/{}: no metadata file beside it", f.path().display())),
                    Some(t) if layer == "indicators" => match toml::from_str::<IndicatorMeta>(t) {
                        Ok(m) if m.id == name => model.indicator = Some(m),
                        Ok(m) => problems.push(format!(
                            "sql/{}: id `{}` differs from the file name",
                            meta_path.display(),
                            m.id
                        )),
                        Err(e) => problems.push(format!("sql/{}: {e}", meta_path.display())),
                    },
                    Some(t) => match toml::from_str::<ModelMeta>(t) {
                        Ok(m) => model.meta = Some(m),
                        Err(e) => problems.push(format!("sql/{}: {e}", meta_path.display())),
                    },
                }
                in_layer.push(model);
            }
            in_layer.sort_by(|a, b| a.name.cmp(&b.name));
            models.extend(order_by_dependency(in_layer, &mut problems));
        }
        if problems.is_empty() {
            Ok(Project { macros, models })
        } else {
            Err(Error::Config {
                path: "sql".into(),
                problems,
            })
        }
    }

    /// The indicators, in the reports' order.
    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorMeta> {
        let mut all: Vec<&IndicatorMeta> = self.models.iter().filter_map(|m| m.indicator.as_ref()).collect();
        all.sort_by_key(|i| (i.order, i.id.as_str()));
        all.into_iter()
    }
}

/// Whether `sql` names `model` as a whole word.
fn references(sql: &str, model: &str) -> bool {
    sql.match_indices(model).any(|(i, _)| {
        let before = sql[..i].chars().next_back();
        let after = sql[i + model.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// Topological order within a layer (models of earlier layers already ran).
fn order_by_dependency(models: Vec<Model>, problems: &mut Vec<String>) -> Vec<Model> {
    let names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut left = models;
    while !left.is_empty() {
        let (ready, waiting): (Vec<Model>, Vec<Model>) = left.into_iter().partition(|m| {
            names
                .iter()
                .all(|n| n == &m.name || done.contains(n) || !references(&m.sql, n))
        });
        if ready.is_empty() {
            problems.push(format!(
                "models depend on each other in a cycle: {}",
                waiting.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
            return out;
        }
        done.extend(ready.iter().map(|m| m.name.clone()));
        out.extend(ready);
        left = waiting;
    }
    out
}

/// Open a DuckDB connection that never loads or installs extensions on its own.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(Error::warehouse(format!("opening {}", path.display())))?;
    conn.execute_batch("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;")
        .map_err(Error::warehouse("turning extension autoloading off"))?;
    Ok(conn)
}

/// The lake the warehouse loads: each table is a folder of Parquet files,
/// one per partner, loaded as `raw_<table>`.
pub struct LakeInput<'a> {
    pub dir: &'a Path,
    pub tables: Vec<String>,
    /// (partner_id, name) from the pipeline configs, loaded as `raw_partners`.
    pub partners: Vec<(String, String)>,
}

/// What the build needs to know about its run.
pub struct BuildOptions<'a> {
    pub run_id: &'a str,
    /// The date the figures are as of: the current period ends here.
    pub as_of: NaiveDate,
    /// Small-cell suppression threshold (config `suppression.k`).
    pub suppression_k: u32,
    /// Folder of earlier runs' indicator values (`output/history/indicator_values`).
    pub history: &'a Path,
    /// Where this run's indicator values are written, for the history
    /// folder once the run is published.
    pub history_file: &'a Path,
}

/// What the build did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildMetrics {
    pub models: usize,
    pub tests: usize,
    pub indicator_rows: usize,
    pub suppressed: crate::suppress::Counts,
}

/// Build the warehouse file at `path` (which must not exist) from the lake.
pub fn build(path: &Path, lake: &LakeInput<'_>, project: &Project, opts: &BuildOptions<'_>) -> Result<BuildMetrics> {
    let run_id = opts.run_id;
    let conn = open(path)?;
    conn.execute_batch(&format!(
        "set variable as_of = date '{}'",
        opts.as_of.format("%Y-%m-%d")
    ))
    .map_err(Error::warehouse("setting the as-of date"))?;
    conn.execute_batch("create table raw_partners (partner_id varchar primary key, partner_name varchar not null)")
        .map_err(Error::warehouse("creating raw_partners"))?;
    {
        let mut stmt = conn
            .prepare("insert into raw_partners values (?, ?)")
            .map_err(Error::warehouse("loading raw_partners"))?;
        for (id, name) in &lake.partners {
            stmt.execute([id, name])
                .map_err(Error::warehouse("loading raw_partners"))?;
        }
    }
    for name in &lake.tables {
        let glob = lake.dir.join(name).join("*.parquet");
        let sql = format!(
            "create table raw_{name} as select * from read_parquet({})",
            sql_string(&glob.to_string_lossy())
        );
        conn.execute_batch(&sql)
            .map_err(Error::warehouse(format!("loading raw_{name}")))?;
    }
    if !project.macros.trim().is_empty() {
        conn.execute_batch(&project.macros)
            .map_err(Error::warehouse("sql/macros.sql"))?;
    }
    let mut tests = 0;
    conn.execute_batch(
        "create table indicator_values (
            indicator_id varchar not null, period varchar not null,
            dimension varchar not null, dimension_value varchar not null,
            numerator double, denominator double, value double,
            ci_low double, ci_high double, cell_size double,
            suppressed boolean not null default false, suppression_reason varchar,
            naive_numerator double, naive_denominator double, naive_value double, naive_cell_size double,
            naive_suppressed boolean not null default false, naive_suppression_reason varchar,
            unit varchar not null, run_id varchar not null)",
    )
    .map_err(Error::warehouse("creating indicator_values"))?;
    for m in &project.models {
        let ctx = format!("model sql/{}/{}.sql", m.layer, m.name);
        if let Some(ind) = &m.indicator {
            let sql = format!(
                "insert into indicator_values by name
                 select {id} as indicator_id, period, dimension, dimension_value, numerator, denominator, value,
                        {ci}, cell_size, {unit} as unit, {run} as run_id
                 from ({body})",
                // A rate's 95% Wilson interval; counts and sums have none.
                ci = if ind.unit == "%" {
                    "wilson_low(numerator, denominator) as ci_low, wilson_high(numerator, denominator) as ci_high"
                } else {
                    "null as ci_low, null as ci_high"
                },
                id = sql_string(&ind.id),
                unit = sql_string(&ind.unit),
                run = sql_string(run_id),
                body = m.sql.trim().trim_end_matches(';')
            );
            conn.execute_batch(&sql).map_err(Error::warehouse(ctx.clone()))?;
            check_dimensions(&conn, ind, &ctx)?;
        } else {
            let sql = format!("create table {} as {}", m.name, m.sql.trim().trim_end_matches(';'));
            conn.execute_batch(&sql).map_err(Error::warehouse(ctx))?;
            if let Some(meta) = &m.meta {
                tests += run_tests(&conn, &m.name, &meta.tests)?;
            }
        }
        tracing::debug!(model = %m.name, layer = m.layer, "model built");
    }
    // Beside each consortium figure (linked entities, each counted once):
    // the naive sum over partners, so the double counting removed shows.
    conn.execute_batch(
        "update indicator_values c
         set naive_numerator = s.n,
             naive_denominator = s.d,
             naive_value = case
                 when c.unit = '%' then 100.0 * s.n / nullif(s.d, 0)
                 when c.unit in ('count', 'INR') then s.n
             end,
             naive_cell_size = s.size
         from (
             select indicator_id, period, sum(numerator) as n, sum(denominator) as d, sum(cell_size) as size
             from indicator_values where dimension = 'partner' and unit <> 'days' group by all
         ) s
         where c.dimension = 'consortium' and c.indicator_id = s.indicator_id and c.period = s.period",
    )
    .map_err(Error::warehouse("summing partners beside the consortium figures"))?;
    let suppressed = crate::suppress::apply(&conn, opts.suppression_k)?;
    write_indicator_catalog(&conn, project)?;
    load_history(&conn, opts)?;
    export_run_history(&conn, run_id, opts.history_file)?;
    let indicator_rows: usize = conn
        .query_row("select count(*) from indicator_values", [], |r| r.get::<_, i64>(0))
        .map_err(Error::warehouse("counting indicator_values"))? as usize;
    conn.execute_batch("checkpoint")
        .map_err(Error::warehouse("checkpoint"))?;
    Ok(BuildMetrics {
        models: project.models.len(),
        tests,
        indicator_rows,
        suppressed,
    })
}

/// An indicator may only produce the breakdowns its metadata declares, so
/// the codebook and the reports never promise one that is not there.
fn check_dimensions(conn: &Connection, ind: &IndicatorMeta, ctx: &str) -> Result<()> {
    let mut stmt = conn
        .prepare("select distinct dimension from indicator_values where indicator_id = ? order by 1")
        .map_err(Error::warehouse(ctx.to_string()))?;
    let found: Vec<String> = stmt
        .query_map([&ind.id], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(Error::warehouse(ctx.to_string()))?;
    let undeclared: Vec<&String> = found
        .iter()
        .filter(|d| *d != "consortium" && !ind.dimensions.contains(d))
        .collect();
    if undeclared.is_empty() {
        Ok(())
    } else {
        Err(Error::Config {
            path: format!("sql/indicators/{}.toml", ind.id).into(),
            problems: vec![format!(
                "the indicator produces breakdowns its `dimensions` does not declare: {undeclared:?}"
            )],
        })
    }
}

/// The folder of the indicator history under `output`.
pub fn history_dir(output: &Path) -> PathBuf {
    output.join("history").join("indicator_values")
}

/// The file a run's indicator values are kept in, inside its snapshot and
/// (once published) in the history folder.
pub const HISTORY_FILE: &str = "indicator_values.parquet";

/// `indicator_history`: every published run's indicator values (the files
/// in the history folder) and this run's, each with its run_id, the date
/// its figures are as of and the time the run started (UTC), so trends
/// across nightly runs show and a past report can be reproduced.
fn load_history(conn: &Connection, opts: &BuildOptions<'_>) -> Result<()> {
    let err = || Error::warehouse("building indicator_history");
    let earlier: Vec<PathBuf> = match std::fs::read_dir(opts.history) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| e == "parquet")
                    && p.file_stem().is_some_and(|s| s.to_string_lossy() != opts.run_id)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(Error::io(opts.history)(e)),
    };
    let run_at = crate::snapshots::created_at(opts.run_id)
        .map(|t| format!("timestamp '{}'", t.format("%Y-%m-%d %H:%M:%S")))
        .unwrap_or_else(|| "null::timestamp".into());
    conn.execute_batch(&format!(
        "create table indicator_history as
         select *, date '{}' as as_of, {run_at} as run_at from indicator_values",
        opts.as_of.format("%Y-%m-%d")
    ))
    .map_err(err())?;
    if !earlier.is_empty() {
        let list = earlier
            .iter()
            .map(|p| sql_string(&p.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", ");
        // union_by_name: a run from before a column existed still loads.
        conn.execute_batch(&format!(
            "insert into indicator_history by name
             select * from read_parquet([{list}], union_by_name = true)"
        ))
        .map_err(err())?;
    }
    Ok(())
}

/// Write this run's indicator values (from `indicator_history`) to `file`,
/// to be added to the history folder when the run is published.
fn export_run_history(conn: &Connection, run_id: &str, file: &Path) -> Result<()> {
    conn.execute_batch(&format!(
        "copy (select * from indicator_history where run_id = {}) to {} (format parquet)",
        sql_string(run_id),
        sql_string(&file.to_string_lossy())
    ))
    .map_err(Error::warehouse(format!("writing {}", file.display())))
}

/// Add a published snapshot's indicator values to the history folder (an
/// atomic rename, so a crash leaves the file whole or absent). Done after
/// the snapshot is published, and again by the next run for a snapshot
/// whose run died before it could: a history file exists only for a run
/// that was published.
pub fn record_history(output: &Path, snapshot_id: &str) -> Result<()> {
    let from = output
        .join("snapshots")
        .join(snapshot_id)
        .join("warehouse")
        .join(HISTORY_FILE);
    let dir = history_dir(output);
    let to = dir.join(format!("{snapshot_id}.parquet"));
    if to.exists() || !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let tmp = dir.join(format!(".{snapshot_id}.parquet.tmp"));
    std::fs::copy(&from, &tmp).map_err(Error::io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &to).map_err(Error::io(&to))
}

fn write_indicator_catalog(conn: &Connection, project: &Project) -> Result<()> {
    conn.execute_batch(
        "create table indicators (indicator_id varchar primary key, theme varchar, report_order integer,
         title varchar, definition varchar,
         numerator varchar, denominator varchar, unit varchar, better varchar, source varchar, period_by varchar,
         dimensions varchar[]);
         create table indicator_targets (indicator_id varchar, period varchar, target double,
         primary key (indicator_id, period))",
    )
    .map_err(Error::warehouse("creating indicators"))?;
    let mut stmt = conn
        .prepare("insert into indicators values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, string_split(?, ','))")
        .map_err(Error::warehouse("preparing indicators"))?;
    let mut targets = conn
        .prepare("insert into indicator_targets values (?, ?, ?)")
        .map_err(Error::warehouse("preparing indicator_targets"))?;
    for i in project.indicators() {
        stmt.execute(duckdb::params![
            i.id,
            i.theme,
            i.order,
            i.title,
            i.definition,
            i.numerator,
            i.denominator,
            i.unit,
            i.better,
            i.source,
            i.period_by,
            i.dimensions.join(",")
        ])
        .map_err(Error::warehouse("writing indicators"))?;
        for (period, target) in &i.targets {
            targets
                .execute(duckdb::params![i.id, period, target])
                .map_err(Error::warehouse("writing indicator_targets"))?;
        }
    }
    Ok(())
}

/// Run a model's declared tests; a failure is an error naming the model and test.
fn run_tests(conn: &Connection, model: &str, t: &ModelTests) -> Result<usize> {
    let mut checks: Vec<(String, String)> = Vec::new();
    for col in &t.unique {
        checks.push((
            format!("unique({col})"),
            format!("select count(*) from (select {col} from {model} group by all having count(*) > 1)"),
        ));
    }
    for col in &t.not_null {
        checks.push((
            format!("not_null({col})"),
            format!("select count(*) from {model} where {col} is null"),
        ));
    }
    for (col, values) in &t.accepted_values {
        let list = values.iter().map(|v| sql_string(v)).collect::<Vec<_>>().join(", ");
        checks.push((
            format!("accepted_values({col})"),
            format!("select count(*) from {model} where {col} is not null and {col} not in ({list})"),
        ));
    }
    for (name, sql) in &checks {
        let bad: i64 = conn
            .query_row(sql, [], |r| r.get(0))
            .map_err(Error::warehouse(format!("{model}: test {name}")))?;
        if bad > 0 {
            return Err(Error::Internal(format!(
                "warehouse test failed: {model} {name}: {bad} offending row(s)"
            )));
        }
    }
    Ok(checks.len())
}

/// A SQL string literal.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_project_loads_and_orders() {
        let p = Project::load().unwrap();
        let pos = |n: &str| p.models.iter().position(|m| m.name == n).unwrap();
        assert!(pos("stg_lake__cases") < pos("fct_cases"));
        assert!(pos("fct_cases") < pos("conviction_rate"));
        assert!(p.indicators().count() >= 7);
    }

    #[test]
    fn wilson_intervals_match_published_values() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&Project::load().unwrap().macros).unwrap();
        let ci = |n: f64, d: f64| -> (Option<f64>, Option<f64>) {
            conn.query_row("select wilson_low(?, ?), wilson_high(?, ?)", [n, d, n, d], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        };
        let close = |got: Option<f64>, want: f64| (got.unwrap() - want).abs() < 0.05;
        // Newcombe (1998), the score method without continuity correction:
        // 81/263 -> 25.53-36.62%; 15/148 -> 6.24-16.05%; 0/20 -> 0-16.11%;
        // 1/29 -> 0.61-17.18%.
        for (n, d, lo, hi) in [
            (81.0, 263.0, 25.53, 36.62),
            (15.0, 148.0, 6.24, 16.05),
            (0.0, 20.0, 0.0, 16.11),
            (1.0, 29.0, 0.61, 17.18),
        ] {
            let (l, h) = ci(n, d);
            assert!(close(l, lo) && close(h, hi), "{n}/{d}: {l:?}-{h:?}");
        }
        let (l, h) = ci(20.0, 20.0);
        assert!(close(l, 83.89) && close(h, 100.0), "{l:?}-{h:?}");
        assert_eq!(ci(0.0, 0.0), (None, None));
    }

    /// A file of `sql/tests/`.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LogicTest {
        indicator: String,
        #[serde(default)]
        models: Vec<String>,
        case: Vec<LogicCase>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LogicCase {
        name: String,
        setup: String,
        expect: String,
        #[serde(default)]
        quarters: bool,
    }

    /// The SQL logic tests of sql/tests/ (see its README): hand-made inputs
    /// and the exact rows each indicator must give.
    #[test]
    fn every_indicator_gives_the_expected_rows_on_hand_made_inputs() {
        let project = Project::load().unwrap();
        let tests = SQL_DIR.get_dir("tests").expect("sql/tests");
        let mut covered = HashSet::new();
        let mut cases = 0;
        for f in tests
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        {
            let t: LogicTest = toml::from_str(f.contents_utf8().unwrap())
                .unwrap_or_else(|e| panic!("sql/{}: {e}", f.path().display()));
            let model = |name: &str| {
                project
                    .models
                    .iter()
                    .find(|m| m.name == name)
                    .unwrap_or_else(|| panic!("sql/{}: no model {name}", f.path().display()))
            };
            let indicator = model(&t.indicator);
            assert!(indicator.indicator.is_some(), "{} is not an indicator", t.indicator);
            assert!(!t.case.is_empty(), "sql/{}: no case", f.path().display());
            covered.insert(t.indicator.clone());
            for c in &t.case {
                let conn = Connection::open_in_memory().unwrap();
                conn.execute_batch(&project.macros).unwrap();
                conn.execute_batch(&c.setup)
                    .unwrap_or_else(|e| panic!("{} / {}: setup: {e}", t.indicator, c.name));
                for m in &t.models {
                    conn.execute_batch(&format!(
                        "create table {m} as {}",
                        model(m).sql.trim().trim_end_matches(';')
                    ))
                    .unwrap_or_else(|e| panic!("{} / {}: model {m}: {e}", t.indicator, c.name));
                }
                let sql = format!(
                    "select period, dimension, dimension_value, numerator, denominator, value, cell_size
                     from ({}) order by all",
                    indicator.sql.trim().trim_end_matches(';')
                );
                let mut stmt = conn.prepare(&sql).unwrap();
                let num = |x: Option<f64>| {
                    x.map(|v| format!("{}", (v * 100.0).round() / 100.0))
                        .unwrap_or_default()
                };
                let mut got: Vec<String> = stmt
                    .query_map([], |r| {
                        Ok([
                            r.get::<_, String>(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            num(r.get(3)?),
                            num(r.get(4)?),
                            num(r.get(5)?),
                            num(r.get(6)?),
                        ]
                        .join(","))
                    })
                    .unwrap()
                    .map(|r| r.unwrap())
                    .filter(|row| c.quarters || !row.split(',').next().unwrap().contains(" Q"))
                    .collect();
                got.sort();
                let mut want: Vec<String> = c
                    .expect
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                want.sort();
                assert_eq!(got, want, "{} / {}", t.indicator, c.name);
                cases += 1;
            }
        }
        let missing: Vec<&str> = project
            .indicators()
            .map(|i| i.id.as_str())
            .filter(|id| !covered.contains(*id))
            .collect();
        assert!(
            missing.is_empty(),
            "indicators with no SQL logic test in sql/tests/: {missing:?}"
        );
        assert!(cases >= 21, "{cases}");
    }

    #[test]
    fn references_are_whole_words() {
        assert!(references("select * from fct_cases c", "fct_cases"));
        assert!(!references("select * from fct_cases_old", "fct_cases"));
    }
}
