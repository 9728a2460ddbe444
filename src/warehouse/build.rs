//! Building the warehouse file: the lake's Parquet loaded as `raw_*`
//! tables (in the `staging` schema with the staging models, out of a
//! researcher's way), the macros, every model in order (indicators gathered into
//! `indicator_values`), the naive partner sums beside the consortium
//! figures, small-cell suppression, the indicator catalogue and the history.

use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

use duckdb::Connection;
use serde::Serialize;

use super::catalogue::{IndicatorMeta, Project};
use super::{BuildOptions, RAW_IN_MAIN, STAGING, history, model_tests, open, sql_string};
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
    /// (block, district) of the known blocks, loaded as `raw_blocks`.
    pub blocks: Vec<(String, Option<String>)>,
}

/// DuckDB's memory limit while the warehouse is built: with the lake's
/// Parquet files read and the process's own memory, a million-survivor
/// run stays under 4 GiB.
pub const BUILD_MEMORY_LIMIT: &str = "2GiB";

/// What the build did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildMetrics {
    pub models: usize,
    pub tests: usize,
    pub indicator_rows: usize,
    pub suppressed: crate::suppress::Counts,
    /// Each step's wall time, in the order the steps ended: the raw tables
    /// loaded, each model (with its tests), suppression, the history. The
    /// loads and the models run two at a time (see `build_connections`),
    /// so their seconds overlap and add up to more than the stage's. Kept
    /// in the run ledger, so a slow night can be explained after the fact.
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

impl StepTiming {
    /// A step that has ended, logged as it ends.
    fn ended(step: String, seconds: f64, rows: u64) -> StepTiming {
        tracing::info!(step = %step, rows, seconds = format!("{seconds:.3}"), "warehouse step done");
        StepTiming { step, seconds, rows }
    }
}

/// Times the steps of one build and logs each as it ends.
#[derive(Default)]
pub(crate) struct Steps(pub(crate) Vec<StepTiming>);

impl Steps {
    pub(crate) fn time<T>(&mut self, step: impl Into<String>, f: impl FnOnce() -> Result<(T, u64)>) -> Result<T> {
        let t = std::time::Instant::now();
        let (out, rows) = f()?;
        self.0
            .push(StepTiming::ended(step.into(), t.elapsed().as_secs_f64(), rows));
        Ok(out)
    }
}

/// The attached in-memory database the view models are built in while the
/// warehouse is built, where every build connection reads them (a
/// temporary table is its own connection's alone).
const SCRATCH: &str = "build_scratch";

/// One step of the build for [`run_jobs`]: its name in the ledger, the
/// steps it waits for (indices into the same list), and what it does on a
/// connection, returning (tests run, rows written).
pub(super) struct Job<'a> {
    pub(super) step: String,
    pub(super) after: Vec<usize>,
    pub(super) run: JobFn<'a>,
}

pub(super) type JobFn<'a> = Box<dyn Fn(&Connection) -> Result<(usize, u64)> + Send + Sync + 'a>;

/// Connections to the warehouse being built, one per core (at most
/// [`BUILD_CONNECTIONS`]), each set up as the models expect: the staging
/// schema and the scratch database searched, the as-of date set.
///
/// Why more than one: on a smaller lake most tables are one or two row
/// groups, and DuckDB writes a table's row group on one thread, so one
/// model at a time leaves the second core idle for much of the stage. Two
/// models that do not read each other are built side by side instead. On
/// a large lake each model already keeps every core busy, and two at a
/// time make the stage slower (two large models share the database's
/// memory limit), so a lake whose largest table is more than
/// [`SIDE_BY_SIDE_MAX_ROWS`] gets one connection. The measurements behind
/// the threshold are in docs/benchmarks.md.
fn build_connections(conn: &Connection, opts: &BuildOptions<'_>, largest: u64) -> Result<Vec<Connection>> {
    let n = if largest <= SIDE_BY_SIDE_MAX_ROWS {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, BUILD_CONNECTIONS)
    } else {
        1
    };
    tracing::debug!(connections = n, largest_table_rows = largest, "building the warehouse");
    (0..n)
        .map(|_| {
            let c = conn
                .try_clone()
                .map_err(Error::warehouse("opening a build connection"))?;
            c.execute_batch(&format!(
                "SET search_path = '{}'; set variable as_of = date '{}'",
                build_search_path(),
                opts.as_of.format("%Y-%m-%d")
            ))
            .map_err(Error::warehouse("setting up a build connection"))?;
            super::research_lake::set_up_record_keys(&c, opts.record_key_salt)?;
            Ok(c)
        })
        .collect()
}

/// What the build's connections search: the file's `main`, then the
/// scratch database's staging schema (the lake's tables and the staging
/// views, never written to the file) and its `main` (the mart views'
/// tables until they are kept as views).
fn build_search_path() -> String {
    format!("main,{SCRATCH}.{STAGING},{SCRATCH}.main")
}

/// How many models the build runs side by side, at most.
pub const BUILD_CONNECTIONS: usize = 2;

/// The most rows the lake's largest table may hold for the build to run
/// models side by side: two of DuckDB's row groups (122,880 rows each),
/// the size at which one model leaves a core idle (see
/// [`build_connections`]).
pub const SIDE_BY_SIDE_MAX_ROWS: u64 = 2 * 122_880;

/// The rows of the lake's largest table, read from its Parquet files'
/// footers.
fn largest_table_rows(conn: &Connection, dir: &Path, tables: &[String]) -> Result<u64> {
    let mut largest = 0;
    for name in tables {
        let glob = crate::lake::table_glob(dir, name);
        let rows: i64 = conn
            .query_row(
                &format!(
                    "select coalesce(sum(num_rows), 0)::bigint from parquet_file_metadata({})",
                    sql_string(&glob.to_string_lossy())
                ),
                [],
                |r| r.get(0),
            )
            .map_err(Error::warehouse(format!("counting the rows of the lake's {name}")))?;
        largest = largest.max(rows as u64);
    }
    Ok(largest)
}

/// What the connections running [`run_jobs`] share: which jobs started
/// and ended, and what they made.
struct Board {
    started: Vec<bool>,
    done: Vec<bool>,
    running: usize,
    failed: Option<Error>,
    tests: usize,
    steps: Vec<StepTiming>,
}

/// Run `jobs` on `conns`, one job per connection at a time, each job once
/// every job it waits for is done, the first ready in list order first.
/// The first error stops the build: no job starts after it, and it is
/// returned once the jobs running end. Returns the tests run and each
/// job's timing, in the order they ended. The connections are handed back
/// for the next jobs (a connection goes to one thread at a time).
pub(super) fn run_jobs(conns: &mut Vec<Connection>, jobs: &[Job<'_>]) -> Result<(usize, Vec<StepTiming>)> {
    if conns.is_empty() {
        return Err(Error::Internal(
            "the warehouse build has no connection left".to_string(),
        ));
    }
    let board = Mutex::new(Board {
        started: vec![false; jobs.len()],
        done: vec![false; jobs.len()],
        running: 0,
        failed: None,
        tests: 0,
        steps: Vec::with_capacity(jobs.len()),
    });
    let changed = Condvar::new();
    let span = tracing::Span::current();
    let back: Vec<Connection> = std::thread::scope(|s| {
        let threads: Vec<_> = conns
            .drain(..)
            .map(|conn| {
                let (board, changed, span) = (&board, &changed, span.clone());
                s.spawn(move || span.in_scope(|| work(conn, jobs, board, changed)))
            })
            .collect();
        // A job's panic is caught (see `work`); one elsewhere takes its
        // thread's connection with it.
        threads.into_iter().filter_map(|t| t.join().ok()).collect()
    });
    *conns = back;
    let b = board.into_inner().unwrap_or_else(PoisonError::into_inner);
    match b.failed {
        Some(e) => Err(e),
        None => Ok((b.tests, b.steps)),
    }
}

/// One connection's share of [`run_jobs`]: take the next job ready, run
/// it, mark it done, until every job is done or one failed. Returns the
/// connection.
fn work(conn: Connection, jobs: &[Job<'_>], board: &Mutex<Board>, changed: &Condvar) -> Connection {
    let lock = || board.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let next = {
            let mut b = lock();
            loop {
                if b.failed.is_some() || b.done.iter().all(|&d| d) {
                    break None;
                }
                let ready = (0..jobs.len()).find(|&i| !b.started[i] && jobs[i].after.iter().all(|&d| b.done[d]));
                if let Some(i) = ready {
                    b.started[i] = true;
                    b.running += 1;
                    break Some(i);
                }
                if b.running == 0 {
                    // Nothing runs and nothing is ready: a job waits for
                    // one that can never end.
                    b.failed = Some(Error::Internal("the warehouse's steps wait for each other".to_string()));
                    break None;
                }
                b = changed.wait(b).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let Some(i) = next else {
            changed.notify_all();
            return conn;
        };
        let job = &jobs[i];
        let t = std::time::Instant::now();
        // A panic is an error like any other: the other connection would
        // otherwise wait for this job forever.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (job.run)(&conn)))
            .unwrap_or_else(|_| Err(Error::Internal(format!("warehouse step {} panicked", job.step))));
        let seconds = t.elapsed().as_secs_f64();
        let mut b = lock();
        b.running -= 1;
        match out {
            Ok((tests, rows)) => {
                b.done[i] = true;
                b.tests += tests;
                b.steps.push(StepTiming::ended(job.step.clone(), seconds, rows));
            }
            Err(e) => {
                b.failed.get_or_insert(e);
            }
        }
        drop(b);
        changed.notify_all();
    }
}

/// The lake's table `name` (a folder of Parquet files) as `raw_<name>`:
/// a view over the files in the build's scratch database, which the
/// staging models read and nothing writes to the file (the lake is not
/// copied into the warehouse); a table of the file only for those in
/// [`RAW_IN_MAIN`]. Returns the rows loaded into the file.
fn load_lake_table(conn: &Connection, dir: &Path, name: &str) -> Result<u64> {
    let glob = sql_string(&crate::lake::table_glob(dir, name).to_string_lossy());
    if !RAW_IN_MAIN.contains(&name) {
        conn.execute_batch(&format!(
            "create view {SCRATCH}.{STAGING}.raw_{name} as select * from read_parquet({glob})"
        ))
        .map_err(Error::warehouse(format!("reading the lake's {name}")))?;
        return Ok(0);
    }
    let rows = conn
        .execute(
            &format!("create table main.raw_{name} as select * from read_parquet({glob})"),
            [],
        )
        .map_err(Error::warehouse(format!("loading raw_{name}")))?;
    comment_on_table(
        conn,
        &format!("raw_{name}"),
        &format!("The lake's {name} table as loaded (see codebook.md)."),
    )?;
    Ok(rows as u64)
}

/// Build the warehouse file at `path` (which must not exist) from the lake.
pub fn build(path: &Path, lake: &LakeInput<'_>, project: &Project, opts: &BuildOptions<'_>) -> Result<BuildMetrics> {
    let mut steps = Steps::default();
    let conn = open(path)?;
    set_up(&conn, opts)?;
    steps.time("load raw_partners, raw_places, raw_blocks", || {
        load_config_tables(&conn, lake)
            .map(|()| ((), (lake.partners.len() + lake.places.len() + lake.blocks.len()) as u64))
    })?;
    let largest = largest_table_rows(&conn, lake.dir, &lake.tables)?;
    let mut workers = build_connections(&conn, opts, largest)?;
    let loads: Vec<Job<'_>> = lake
        .tables
        .iter()
        .map(|name| Job {
            step: format!("load raw_{name}"),
            after: vec![],
            run: Box::new(move |conn: &Connection| load_lake_table(conn, lake.dir, name).map(|rows| (0, rows))),
        })
        .collect();
    let (_, loaded) = run_jobs(&mut workers, &loads)?;
    steps.0.extend(loaded);
    load_macros(&conn, project)?;
    create_indicator_values(&conn)?;
    let (tests, built) = build_models(&mut workers, project, opts.run_id)?;
    steps.0.extend(built);
    drop(workers);
    steps.time("views", || keep_as_views(&conn, project).map(|n| ((), n)))?;
    steps.time("partner sums", || partner_sums(&conn).map(|()| ((), 0)))?;
    let suppressed = steps.time("suppression", || {
        crate::suppress::apply(&conn, opts.suppression_k).map(|c| (c, (c.primary + c.secondary) as u64))
    })?;
    steps.time("indicator catalogue", || {
        write_indicator_catalog(&conn, project).map(|()| ((), 0))
    })?;
    // The models' writes, made durable before the history is loaded: a
    // checkpoint DuckDB would otherwise start on its own in whichever
    // statement next fills its log, and the ledger would blame that step.
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

/// The build's settings: its memory limit, no insertion order, the as-of
/// date, and the scratch database.
fn set_up(conn: &Connection, opts: &BuildOptions<'_>) -> Result<()> {
    // DuckDB would keep up to 80% of the machine's memory in its buffers,
    // and the view models' tables (in the scratch database) grow with the
    // survivors. The limit is the database's, whichever of the build's
    // connections asks. Beyond it DuckDB spills to `<file>.tmp`, which it
    // removes on closing.
    conn.execute_batch(&format!("set memory_limit = '{BUILD_MEMORY_LIMIT}'"))
        .map_err(Error::warehouse("setting the memory limit"))?;
    // A table's rows are kept in whatever order DuckDB's threads write
    // them: kept in its query's order, a large table costs the next
    // checkpoint again. Nothing reads a table's physical order: the
    // reports, the packs and the extracts order their queries, and the
    // models break their ties on values (see `dim_people`).
    conn.execute_batch("set preserve_insertion_order = false")
        .map_err(Error::warehouse("setting the insertion order"))?;
    conn.execute_batch(&format!(
        "set variable as_of = date '{}'",
        opts.as_of.format("%Y-%m-%d")
    ))
    .map_err(Error::warehouse("setting the as-of date"))?;
    // The build's scratch database, in memory, shared by its connections and
    // never written to the file: the lake's tables and the staging models
    // (schema `staging`), and the mart views' tables until they are kept as
    // views.
    conn.execute_batch(&format!(
        "attach ':memory:' as {SCRATCH}; create schema {SCRATCH}.{STAGING}; set search_path = '{}'",
        build_search_path()
    ))
    .map_err(Error::warehouse("attaching the build's scratch database"))
}

/// `sql/macros.sql`, each macro commented with its doc.
fn load_macros(conn: &Connection, project: &Project) -> Result<()> {
    if project.macros.trim().is_empty() {
        return Ok(());
    }
    conn.execute_batch(&project.macros)
        .map_err(Error::warehouse("sql/macros.sql"))?;
    for m in &project.macro_docs {
        let kind = if m.table { "macro table" } else { "macro" };
        conn.execute_batch(&format!("comment on {kind} {} is {}", m.name, sql_string(&m.doc)))
            .map_err(Error::warehouse(format!("commenting on macro {}", m.name)))?;
    }
    Ok(())
}

/// The table every indicator model inserts its figures into.
fn create_indicator_values(conn: &Connection) -> Result<()> {
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
    .map_err(Error::warehouse("creating indicator_values"))
}

/// Every model, each after the models it reads, side by side on the
/// build's connections: the tests run and the steps timed.
fn build_models(workers: &mut Vec<Connection>, project: &Project, run_id: &str) -> Result<(usize, Vec<StepTiming>)> {
    let bar = crate::progress::bar(project.models.len() as u64, "warehouse models");
    let index: std::collections::HashMap<&str, usize> = project
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let models: Vec<Job<'_>> = project
        .models
        .iter()
        .map(|m| Job {
            step: format!("model {}", m.name),
            // The catalogue holds every model a model's SQL reads to its
            // `depends_on`, and lists them before it.
            after: m
                .depends_on()
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect(),
            run: Box::new({
                let bar = &bar;
                move |conn: &Connection| {
                    bar.inc(1);
                    build_model(conn, m, run_id)
                }
            }),
        })
        .collect();
    let built = run_jobs(workers, &models)?;
    bar.finish_and_clear();
    Ok(built)
}

/// Beside each consortium figure (linked entities, each counted once): the
/// naive sum over partners, so the double counting removed shows.
fn partner_sums(conn: &Connection) -> Result<()> {
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
    .map_err(Error::warehouse("summing partners beside the consortium figures"))
}

/// Write what the build has made to the file, as a step (no rows).
pub(crate) fn checkpoint(conn: &Connection) -> Result<((), u64)> {
    conn.execute_batch("checkpoint")
        .map_err(Error::warehouse("checkpoint"))?;
    Ok(((), 0))
}

/// `raw_partners` and `raw_places`, from the configuration and the
/// gazetteer, in the scratch database (the marts carry what they hold).
fn load_config_tables(conn: &Connection, lake: &LakeInput<'_>) -> Result<()> {
    conn.execute_batch(&format!(
        "create table {SCRATCH}.{STAGING}.raw_partners (partner_id varchar primary key, partner_name varchar not null)"
    ))
    .map_err(Error::warehouse("creating raw_partners"))?;
    insert_rows(
        conn,
        "raw_partners",
        lake.partners
            .iter()
            .map(|(id, name)| [Some(id.as_str()), Some(name.as_str())]),
    )?;
    conn.execute_batch(
        &format!("create table {SCRATCH}.{STAGING}.raw_places (district varchar primary key, region varchar, region_kind varchar)"),
    )
    .map_err(Error::warehouse("creating raw_places"))?;
    insert_rows(
        conn,
        "raw_places",
        lake.places
            .iter()
            .map(|(district, region, kind)| [Some(district.as_str()), region.as_deref(), *kind]),
    )?;
    conn.execute_batch(&format!(
        "create table {SCRATCH}.{STAGING}.raw_blocks (block varchar primary key, district varchar)"
    ))
    .map_err(Error::warehouse("creating raw_blocks"))?;
    insert_rows(
        conn,
        "raw_blocks",
        lake.blocks
            .iter()
            .map(|(block, district)| [Some(block.as_str()), district.as_deref()]),
    )
}

/// Insert text rows into `table` in one statement: a row at a time, each
/// its own transaction checking the primary key, is slow for the
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
    // A mart view is built as a table of the build's scratch database (in
    // memory, never written to the file; the build's connections search it
    // last) for the models after it, and replaced by its view in
    // `keep_as_views`. The staging models are the scratch database's too,
    // views over the lake at once (see `ModelMeta::materialized`): they
    // are built for the build and not kept. So is an intermediate model,
    // which holds what the research tier may not (see `catalogue`).
    let table = match (m.is_view(), m.layer) {
        (true, "staging") => format!("view {SCRATCH}.{STAGING}."),
        (true, _) | (false, "intermediate") => format!("table {SCRATCH}.main."),
        (false, "staging") => format!("table {SCRATCH}.{STAGING}."),
        (false, _) => "table main.".to_string(),
    };
    let sql = format!("create {table}{} as {}", m.name, m.body());
    let rows = conn.execute(&sql, []).map_err(Error::warehouse(ctx.clone()))?;
    let mut tests = 0;
    if let Some(meta) = &m.meta {
        tests += model_tests::run(conn, &m.name, &meta.tests)?;
        if m.is_kept() && !m.is_view() {
            comment_on_table(conn, &m.name, &model_comment(meta))?;
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
            "drop table {SCRATCH}.main.{name}; create view main.{name} as {sql}",
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
    conn.execute_batch(&format!("detach {SCRATCH}; set search_path = 'main'"))
        .map_err(Error::warehouse("detaching the build's scratch database"))?;
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

/// Every column of the warehouse's tables, of the models kept as views and
/// of the views built in code (the history, the published values, the
/// accuracy trend) as (table, column, type),
/// tables by name and columns in their order: what the dictionary is
/// written onto and the codebook lists.
pub fn table_columns(conn: &Connection, project: &Project) -> Result<Vec<(String, String, String)>> {
    let ctx = "listing the warehouse's columns";
    let views: Vec<String> = project
        .models
        .iter()
        .filter(|m| m.is_view())
        .map(|m| sql_string(&m.name))
        .chain(
            [
                super::history::VIEW,
                crate::suppress::PUBLISHED_VIEW,
                super::ACCURACY_VIEW,
            ]
            .map(sql_string),
        )
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
         dimensions varchar[], pillar varchar);
         create table indicator_targets (indicator_id varchar, period varchar, target double,
         primary key (indicator_id, period))",
    )
    .map_err(Error::warehouse("creating indicators"))?;
    let mut stmt = conn
        .prepare("insert into indicators values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, string_split(?, ','), ?)")
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
            i.dimensions.join(","),
            i.pillar
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two connections to one in-memory database.
    fn two() -> Vec<Connection> {
        let first = Connection::open_in_memory().unwrap();
        let second = first.try_clone().unwrap();
        vec![first, second]
    }

    /// A job that makes `table` from `sql` (its rows are the job's rows).
    fn make<'a>(step: &str, after: Vec<usize>, sql: &'a str) -> Job<'a> {
        Job {
            step: step.to_string(),
            after,
            run: Box::new(move |c: &Connection| {
                let rows = c.execute(sql, []).map_err(Error::warehouse("test job"))?;
                Ok((1, rows as u64))
            }),
        }
    }

    fn exists(c: &Connection, table: &str) -> bool {
        c.query_row(
            "select count(*) > 0 from duckdb_tables() where table_name = ?",
            [table],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_step_runs_after_the_steps_it_waits_for_and_the_connections_come_back() {
        let mut conns = two();
        // b reads a, c reads b: each would fail if run before the one it reads.
        let jobs = vec![
            make("c", vec![1], "create table c as select x + 1 as x from b"),
            make("b", vec![2], "create table b as select x + 1 as x from a"),
            make("a", vec![], "create table a as select range as x from range(100000)"),
            make("d", vec![], "create table d as select 1 as x"),
        ];
        let (tests, steps) = run_jobs(&mut conns, &jobs).unwrap();
        assert_eq!(tests, 4);
        let order: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
        let at = |s: &str| order.iter().position(|o| *o == s).unwrap();
        assert!(at("a") < at("b") && at("b") < at("c"), "{order:?}");
        assert_eq!(steps[at("c")].rows, 100_000);
        assert_eq!(conns.len(), 2, "both connections are handed back");
        let max: i64 = conns[1].query_row("select max(x) from c", [], |r| r.get(0)).unwrap();
        assert_eq!(max, 100_001);
    }

    #[test]
    fn one_connection_runs_every_step_in_turn() {
        // A large lake's build: one connection (see `build_connections`).
        let mut conns = vec![Connection::open_in_memory().unwrap()];
        let jobs = vec![
            make("b", vec![1], "create table b as select x + 1 as x from a"),
            make("a", vec![], "create table a as select 1 as x"),
        ];
        let (_, steps) = run_jobs(&mut conns, &jobs).unwrap();
        let order: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(order, ["a", "b"]);
        assert_eq!(conns.len(), 1);
    }

    #[test]
    fn the_first_error_stops_the_build_and_no_step_that_waits_for_it_runs() {
        let mut conns = two();
        let jobs = vec![
            make("bad", vec![], "create table bad as select * from no_such_table"),
            make("after bad", vec![0], "create table after_bad as select 1 as x"),
        ];
        let err = run_jobs(&mut conns, &jobs).unwrap_err();
        assert!(err.to_string().contains("test job"), "{err}");
        assert!(!exists(&conns[0], "after_bad"));
        assert_eq!(conns.len(), 2);
    }

    #[test]
    fn steps_that_wait_for_each_other_are_an_error_not_a_hang() {
        let mut conns = two();
        let jobs = vec![
            make("a", vec![1], "create table a as select 1 as x"),
            make("b", vec![0], "create table b as select 1 as x"),
        ];
        let err = run_jobs(&mut conns, &jobs).unwrap_err();
        assert!(err.to_string().contains("wait for each other"), "{err}");
    }

    #[test]
    fn a_step_that_panics_is_an_error_naming_it() {
        let mut conns = two();
        let jobs = vec![
            Job {
                step: "model boom".to_string(),
                after: vec![],
                run: Box::new(|_: &Connection| panic!("boom")),
            },
            make("after", vec![0], "create table after_boom as select 1 as x"),
        ];
        let err = run_jobs(&mut conns, &jobs).unwrap_err();
        assert!(err.to_string().contains("model boom"), "{err}");
        assert!(!exists(&conns[0], "after_boom"));
    }
}
