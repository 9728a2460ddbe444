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
use std::path::Path;

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
    #[serde(default)]
    pub dimensions: Vec<String>,
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

    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorMeta> {
        self.models.iter().filter_map(|m| m.indicator.as_ref())
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

/// What the build did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildMetrics {
    pub models: usize,
    pub tests: usize,
    pub indicator_rows: usize,
}

/// Build the warehouse file at `path` (which must not exist) from the lake.
pub fn build(path: &Path, lake: &LakeInput<'_>, project: &Project, run_id: &str) -> Result<BuildMetrics> {
    let conn = open(path)?;
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
            ci_low double, ci_high double,
            naive_numerator double, naive_denominator double, naive_value double,
            unit varchar not null, run_id varchar not null)",
    )
    .map_err(Error::warehouse("creating indicator_values"))?;
    for m in &project.models {
        let ctx = format!("model sql/{}/{}.sql", m.layer, m.name);
        if let Some(ind) = &m.indicator {
            let sql = format!(
                "insert into indicator_values
                 select {id}, period, dimension, dimension_value, numerator, denominator, value,
                        {ci}, null, null, null, {unit}, {run}
                 from ({body})",
                // A rate's 95% Wilson interval; counts and sums have none.
                ci = if ind.unit == "%" {
                    "wilson_low(numerator, denominator), wilson_high(numerator, denominator)"
                } else {
                    "null, null"
                },
                id = sql_string(&ind.id),
                unit = sql_string(&ind.unit),
                run = sql_string(run_id),
                body = m.sql.trim().trim_end_matches(';')
            );
            conn.execute_batch(&sql).map_err(Error::warehouse(ctx))?;
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
             end
         from (
             select indicator_id, period, sum(numerator) as n, sum(denominator) as d
             from indicator_values where dimension = 'partner' group by all
         ) s
         where c.dimension = 'consortium' and c.indicator_id = s.indicator_id and c.period = s.period",
    )
    .map_err(Error::warehouse("summing partners beside the consortium figures"))?;
    write_indicator_catalog(&conn, project)?;
    let indicator_rows: usize = conn
        .query_row("select count(*) from indicator_values", [], |r| r.get::<_, i64>(0))
        .map_err(Error::warehouse("counting indicator_values"))? as usize;
    conn.execute_batch("checkpoint")
        .map_err(Error::warehouse("checkpoint"))?;
    Ok(BuildMetrics {
        models: project.models.len(),
        tests,
        indicator_rows,
    })
}

fn write_indicator_catalog(conn: &Connection, project: &Project) -> Result<()> {
    conn.execute_batch(
        "create table indicators (indicator_id varchar primary key, title varchar, definition varchar,
         numerator varchar, denominator varchar, unit varchar, better varchar, source varchar, period_by varchar)",
    )
    .map_err(Error::warehouse("creating indicators"))?;
    let mut stmt = conn
        .prepare("insert into indicators values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .map_err(Error::warehouse("preparing indicators"))?;
    for i in project.indicators() {
        stmt.execute(duckdb::params![
            i.id,
            i.title,
            i.definition,
            i.numerator,
            i.denominator,
            i.unit,
            i.better,
            i.source,
            i.period_by
        ])
        .map_err(Error::warehouse("writing indicators"))?;
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

    #[test]
    fn references_are_whole_words() {
        assert!(references("select * from fct_cases c", "fct_cases"));
        assert!(!references("select * from fct_cases_old", "fct_cases"));
    }
}
