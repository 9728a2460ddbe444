//! Building the warehouse file: the lake's Parquet loaded as `raw_*`
//! tables (in the `staging` schema with the staging models, out of a
//! researcher's way), the macros, every model in order (indicators gathered into
//! `indicator_values`), the naive partner sums beside the consortium
//! figures, small-cell suppression, the indicator catalogue and the history.

use std::path::Path;

use chrono::NaiveDate;
use duckdb::Connection;
use serde::Serialize;

use super::catalogue::{IndicatorMeta, Project};
use super::{RAW_IN_MAIN, STAGING, history, model_tests, open, sql_string};
use crate::error::{Error, Result};

/// The lake the warehouse loads: each table is a folder of Parquet files,
/// one per partner, loaded as `raw_<table>`.
pub struct LakeInput<'a> {
    pub dir: &'a Path,
    pub tables: Vec<String>,
    /// (partner_id, name) from the pipeline configs, loaded as `raw_partners`.
    pub partners: Vec<(String, String)>,
    /// (district, region, region kind) from the gazetteer, loaded as
    /// `raw_places`: the state or country a district lies in.
    pub places: Vec<(String, Option<String>, Option<&'static str>)>,
}

/// DuckDB's memory limit while the warehouse is built: with the lake's
/// Parquet files read and the process's own memory, a million-survivor
/// run stays under 4 GiB.
pub const BUILD_MEMORY_LIMIT: &str = "2GiB";

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
    /// The current snapshot's warehouse, whose indicator history this
    /// build carries forward when it may (see [`super::history`]).
    pub previous: Option<&'a Path>,
}

/// What the build did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildMetrics {
    pub models: usize,
    pub tests: usize,
    pub indicator_rows: usize,
    pub suppressed: crate::suppress::Counts,
    /// Each step's wall time, in build order: the raw tables loaded, each
    /// model (with its tests), suppression, the history. Kept in the run
    /// ledger, so a slow night can be explained after the fact.
    pub steps: Vec<StepTiming>,
}

/// One step of the warehouse build and its wall time.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct StepTiming {
    /// `load raw_<table>`, `model <name>`, `suppression`, ...
    pub step: String,
    pub seconds: f64,
    /// Rows the step wrote, where it says (a model's rows; 0 otherwise).
    #[serde(default)]
    pub rows: u64,
}

/// Times the steps of one build and logs each as it ends.
#[derive(Default)]
struct Steps(Vec<StepTiming>);

impl Steps {
    fn time<T>(&mut self, step: impl Into<String>, f: impl FnOnce() -> Result<(T, u64)>) -> Result<T> {
        let step = step.into();
        let t = std::time::Instant::now();
        let (out, rows) = f()?;
        let seconds = t.elapsed().as_secs_f64();
        tracing::info!(step = %step, rows, seconds = format!("{seconds:.3}"), "warehouse step done");
        self.0.push(StepTiming { step, seconds, rows });
        Ok(out)
    }
}

/// Build the warehouse file at `path` (which must not exist) from the lake.
pub fn build(path: &Path, lake: &LakeInput<'_>, project: &Project, opts: &BuildOptions<'_>) -> Result<BuildMetrics> {
    let run_id = opts.run_id;
    let mut steps = Steps::default();
    let conn = open(path)?;
    // DuckDB would keep up to 80% of the machine's memory in its buffers;
    // the temporary tables of the view models alone are 1.5 GiB at a
    // million survivors. Beyond the limit it spills to `<file>.tmp`, which
    // it removes on closing.
    conn.execute_batch(&format!("set memory_limit = '{BUILD_MEMORY_LIMIT}'"))
        .map_err(Error::warehouse("setting the memory limit"))?;
    // A table's rows are kept in whatever order DuckDB's threads write
    // them. Kept in its query's order, a large table costs the next
    // checkpoint again (measured at a million survivors: 1.2 s for
    // raw_cases's 1.3 million rows, 5 s for the raw tables, 6-8 s for the
    // whole build; 1 s in all without). Nothing reads a table's physical
    // order: the reports, the packs and the extracts order their queries,
    // and the models break their ties on values (see `dim_people`).
    conn.execute_batch("set preserve_insertion_order = false")
        .map_err(Error::warehouse("setting the insertion order"))?;
    conn.execute_batch(&format!(
        "set variable as_of = date '{}'",
        opts.as_of.format("%Y-%m-%d")
    ))
    .map_err(Error::warehouse("setting the as-of date"))?;
    conn.execute_batch(&format!("create schema {STAGING}"))
        .map_err(Error::warehouse("creating the staging schema"))?;
    super::search_staging(&conn)?;
    steps.time("load raw_partners, raw_places", || {
        load_config_tables(&conn, lake).map(|()| ((), (lake.partners.len() + lake.places.len()) as u64))
    })?;
    for name in &lake.tables {
        let glob = lake.dir.join(name).join("*.parquet");
        let schema = if RAW_IN_MAIN.contains(&name.as_str()) {
            "main"
        } else {
            STAGING
        };
        steps.time(format!("load raw_{name}"), || {
            let sql = format!(
                "create table {schema}.raw_{name} as select * from read_parquet({})",
                sql_string(&glob.to_string_lossy())
            );
            let rows = conn
                .execute(&sql, [])
                .map_err(Error::warehouse(format!("loading raw_{name}")))?;
            comment_on_table(
                &conn,
                &format!("raw_{name}"),
                &format!("The lake's {name} table as loaded, one row per partner record (see codebook.md)."),
            )?;
            Ok(((), rows as u64))
        })?;
    }
    if !project.macros.trim().is_empty() {
        conn.execute_batch(&project.macros)
            .map_err(Error::warehouse("sql/macros.sql"))?;
        for m in &project.macro_docs {
            conn.execute_batch(&format!("comment on macro {} is {}", m.name, sql_string(&m.doc)))
                .map_err(Error::warehouse(format!("commenting on macro {}", m.name)))?;
        }
    }
    let mut tests = 0;
    conn.execute_batch(
        "create table indicator_values (
            indicator_id varchar not null, period varchar not null,
            dimension varchar not null, dimension_value varchar not null,
            numerator bigint, denominator bigint, value double,
            ci_low double, ci_high double, cell_size bigint,
            suppressed boolean not null default false, suppression_reason varchar,
            naive_numerator bigint, naive_denominator bigint, naive_value double, naive_cell_size bigint,
            naive_suppressed boolean not null default false, naive_suppression_reason varchar,
            unit varchar not null, run_id varchar not null)",
    )
    .map_err(Error::warehouse("creating indicator_values"))?;
    let bar = crate::progress::bar(project.models.len() as u64, "warehouse models");
    for m in &project.models {
        bar.set_message(m.name.clone());
        bar.inc(1);
        tests += steps.time(format!("model {}", m.name), || build_model(&conn, m, run_id))?;
    }
    bar.finish_and_clear();
    steps.time("views", || keep_as_views(&conn, project).map(|n| ((), n)))?;
    steps.time("partner sums", || {
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
        Ok(((), 0))
    })?;
    let suppressed = steps.time("suppression", || {
        crate::suppress::apply(&conn, opts.suppression_k).map(|c| (c, (c.primary + c.secondary) as u64))
    })?;
    steps.time("indicator catalogue", || {
        write_indicator_catalog(&conn, project).map(|()| ((), 0))
    })?;
    // The models' writes, made durable before the history is loaded: a
    // checkpoint DuckDB would otherwise start on its own in whichever
    // statement next fills its log, and the ledger would blame that step
    // (the history's, 4-6 s at a million survivors, was this).
    steps.time("checkpoint models", || checkpoint(&conn))?;
    steps.time("history", || {
        history::load(&conn, opts)?;
        history::export_run(&conn, opts, opts.history_file)?;
        Ok(((), 0))
    })?;
    let indicator_rows: usize = conn
        .query_row("select count(*) from indicator_values", [], |r| r.get::<_, i64>(0))
        .map_err(Error::warehouse("counting indicator_values"))? as usize;
    steps.time("checkpoint", || checkpoint(&conn))?;
    Ok(BuildMetrics {
        models: project.models.len(),
        tests,
        indicator_rows,
        suppressed,
        steps: steps.0,
    })
}

/// Write what the build has made to the file, as a step (no rows).
fn checkpoint(conn: &Connection) -> Result<((), u64)> {
    conn.execute_batch("checkpoint")
        .map_err(Error::warehouse("checkpoint"))?;
    Ok(((), 0))
}

/// `raw_partners` and `raw_places`, from the configuration and the gazetteer.
fn load_config_tables(conn: &Connection, lake: &LakeInput<'_>) -> Result<()> {
    conn.execute_batch(
        "create table staging.raw_partners (partner_id varchar primary key, partner_name varchar not null)",
    )
    .map_err(Error::warehouse("creating raw_partners"))?;
    insert_rows(
        conn,
        "raw_partners",
        lake.partners
            .iter()
            .map(|(id, name)| [Some(id.as_str()), Some(name.as_str())]),
    )?;
    comment_on_table(
        conn,
        "raw_partners",
        "The consortium's partners as the configuration names them: partner_id and display name.",
    )?;
    conn.execute_batch(
        "create table staging.raw_places (district varchar primary key, region varchar, region_kind varchar)",
    )
    .map_err(Error::warehouse("creating raw_places"))?;
    insert_rows(
        conn,
        "raw_places",
        lake.places
            .iter()
            .map(|(district, region, kind)| [Some(district.as_str()), region.as_deref(), *kind]),
    )?;
    comment_on_table(
        conn,
        "raw_places",
        "The gazetteer's districts (schemas/reference/places.toml) with their region and its kind (state, union territory or country).",
    )
}

/// Insert text rows into `table` in one statement: a row at a time, each
/// its own transaction checking the primary key, took 0.3-0.8 s for the
/// gazetteer's thousand districts.
fn insert_rows<'a, const N: usize>(
    conn: &Connection,
    table: &str,
    rows: impl Iterator<Item = [Option<&'a str>; N]>,
) -> Result<()> {
    let values: Vec<String> = rows
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .map(|c| c.map_or_else(|| "null".to_string(), sql_string))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    if values.is_empty() {
        return Ok(());
    }
    conn.execute_batch(&format!("insert into {table} values {}", values.join(",\n")))
        .map_err(Error::warehouse(format!("loading {table}")))
}

/// Build one model: a table (then its declared tests and its description
/// as the table's comment), or an indicator's rows added to
/// `indicator_values`. Returns (tests run, rows written).
fn build_model(conn: &Connection, m: &super::Model, run_id: &str) -> Result<(usize, u64)> {
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
            body = m.body()
        );
        let rows = conn.execute(&sql, []).map_err(Error::warehouse(ctx.clone()))?;
        check_dimensions(conn, ind, &ctx)?;
        return Ok((0, rows as u64));
    }
    // A mart view is built as a temporary table (in memory, never written
    // to the file; unqualified names find it first) for the models after
    // it, and replaced by its view in `keep_as_views`. A staging view is a
    // view at once (see `ModelMeta::materialized`).
    let table = match (m.is_view(), m.layer) {
        (true, "staging") => "view staging.",
        (true, _) => "temporary table ",
        (false, "staging") => "table staging.",
        (false, _) => "table main.",
    };
    let sql = format!("create {table}{} as {}", m.name, m.body());
    let rows = conn.execute(&sql, []).map_err(Error::warehouse(ctx.clone()))?;
    let mut tests = 0;
    if let Some(meta) = &m.meta {
        tests += model_tests::run(conn, &m.name, &meta.tests)?;
        match (m.is_view(), m.layer) {
            (false, _) => comment_on_table(conn, &m.name, &model_comment(meta))?,
            (true, "staging") => conn
                .execute_batch(&format!(
                    "comment on view staging.{} is {}",
                    m.name,
                    sql_string(&model_comment(meta))
                ))
                .map_err(Error::warehouse(ctx))?,
            (true, _) => {}
        }
    }
    Ok((tests, rows as u64))
}

/// The model's description, inside the warehouse, where a researcher's
/// client shows it (`duckdb_tables().comment`, `duckdb_views().comment`).
fn model_comment(meta: &super::ModelMeta) -> String {
    format!("{} Grain: {}.", meta.description.trim(), meta.grain.trim())
}

/// Once every model is built, replace each mart view's temporary table
/// by its view in `main`. Returns how many.
fn keep_as_views(conn: &Connection, project: &Project) -> Result<u64> {
    let mut n = 0;
    for m in project.models.iter().filter(|m| m.is_view() && m.layer != "staging") {
        let ctx = format!("keeping sql/{}/{}.sql as a view", m.layer, m.name);
        conn.execute_batch(&format!(
            "drop table temp.main.{name}; create view main.{name} as {sql}",
            name = m.name,
            sql = m.body()
        ))
        .map_err(Error::warehouse(ctx.clone()))?;
        if let Some(meta) = &m.meta {
            conn.execute_batch(&format!(
                "comment on view main.{} is {}",
                m.name,
                sql_string(&model_comment(meta))
            ))
            .map_err(Error::warehouse(ctx))?;
        }
        n += 1;
    }
    Ok(n)
}

/// Write the data dictionary into the warehouse: a comment on every table
/// and view built in code (models carry theirs from the build) and on every
/// column whose name the dictionary or the canonical schemas describe.
/// Returns the columns no one describes (`table.column`), which a test
/// holds to none.
pub fn comment_columns(
    conn: &Connection,
    project: &Project,
    schemas: &[crate::config::schema::TableSchema],
) -> Result<Vec<String>> {
    let ctx = "writing the data dictionary into the warehouse";
    for (name, text) in &project.dictionary.tables {
        let kind: Option<String> = conn
            .query_row(
                "select case when exists (select 1 from duckdb_views() where view_name = ?1 and not internal) then 'view'
                             when exists (select 1 from duckdb_tables() where table_name = ?1) then 'table' end",
                [name],
                |r| r.get(0),
            )
            .map_err(Error::warehouse(ctx))?;
        if let Some(kind) = kind {
            conn.execute_batch(&format!("comment on {kind} {name} is {}", sql_string(text)))
                .map_err(Error::warehouse(format!("commenting on {name}")))?;
        }
    }
    let mut undescribed = Vec::new();
    for (table, column, _) in table_columns(conn, project)? {
        match project.dictionary.column(&table, &column, schemas) {
            Some(text) => conn
                .execute_batch(&format!(
                    "comment on column \"{table}\".\"{column}\" is {}",
                    sql_string(&text)
                ))
                .map_err(Error::warehouse(format!("commenting on {table}.{column}")))?,
            None => undescribed.push(format!("{table}.{column}")),
        }
    }
    if !undescribed.is_empty() {
        tracing::debug!(columns = ?undescribed, "warehouse columns without a description");
    }
    Ok(undescribed)
}

/// Every column of the warehouse's tables and of the models kept as views
/// (not the views built in code over them) as (table, column, type),
/// tables by name and columns in their order: what the dictionary is
/// written onto and the codebook lists.
pub fn table_columns(conn: &Connection, project: &Project) -> Result<Vec<(String, String, String)>> {
    let ctx = "listing the warehouse's columns";
    let views: Vec<String> = project
        .models
        .iter()
        .filter(|m| m.is_view())
        .map(|m| sql_string(&m.name))
        .chain([sql_string(super::history::VIEW)])
        .collect();
    let mut stmt = conn
        .prepare(&format!(
            "select c.table_name, c.column_name, c.data_type from duckdb_columns() c
             where c.database_name = current_database() and not c.internal
               and (exists (select 1 from duckdb_tables() t
                            where t.database_name = c.database_name and t.schema_name = c.schema_name
                              and t.table_name = c.table_name)
                    or c.table_name in ({}))
             order by c.table_name, c.column_index",
            views.join(", ")
        ))
        .map_err(Error::warehouse(ctx))?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .map_err(Error::warehouse(ctx))
}

fn comment_on_table(conn: &Connection, table: &str, text: &str) -> Result<()> {
    conn.execute_batch(&format!("comment on table {table} is {}", sql_string(text)))
        .map_err(Error::warehouse(format!("commenting on {table}")))
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
