//! The SQL catalogue: every model of `sql/` (compiled in) with the
//! metadata beside it, in the order they must run. Loaded once, before a
//! run reads anything, so a broken model or metadata file stops the run at
//! start-up naming the file.
//!
//! Dependencies are declared, like dbt's `ref()`: each model's TOML lists
//! the models it reads in `depends_on`, and the run order is built from
//! those lists alone. The catalogue checks the declarations against the
//! SQL (a model the SQL names, comments included, must be declared; a
//! declared one must be named), so a forgotten or stale declaration stops
//! the load rather than building a model before what it reads. The order
//! is the one the models ran in before they were declared, so the
//! codebook, which lists them in run order, is unchanged.
//!
//! Layers run in order: `staging` (only these read the lake's `raw_*`
//! tables), `intermediate`, `marts`, `indicators`. An intermediate model
//! (`int_*`) is built for the run, in the build's scratch database, and
//! never kept: it holds what the marts are made from but the research
//! tier may not hold (a partner's references, the record's file and row),
//! and its mart is a projection of it (`dim_survivors` of `int_survivors`).
//! The `*_by_scope` marts are intermediate by nature, but renaming them to
//! `int_*` would rename warehouse tables researchers query.

use std::collections::{BTreeMap, HashSet};

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

/// Metadata of a staging or mart model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    pub description: String,
    pub grain: String,
    /// The models it reads (dbt's `ref()`); empty for staging models,
    /// which read only the lake.
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub tests: ModelTests,
    /// How the warehouse file keeps it (dbt's `materialized`): a table
    /// (the default), or a view.
    /// - A mart view is still built as a table for the run, in an
    ///   in-memory database the build's connections share, that the models
    ///   after it read, and is kept as a view once they are built: right
    ///   for a large model that only expands others (the `*_by_scope`
    ///   marts, a case once per breakdown it falls in), which would
    ///   otherwise be compressed and written whole to the file on every
    ///   run.
    /// - A staging view is a view from the start: a staging model that
    ///   renames and casts only costs its readers nothing as a view,
    ///   whereas as a table it was the lake written into the file a second
    ///   time.
    #[serde(default)]
    pub materialized: Materialized,
}

/// How a model is kept in the warehouse file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Materialized {
    #[default]
    Table,
    View,
}

/// The programme's five dimensions, and the MIS itself, in the reports'
/// order: what an indicator's `pillar` names. Rescue has no indicator yet
/// (no partner register records a rescue operation apart from the
/// survivors it freed); the reports say so rather than leave it out.
pub const PILLARS: [&str; 6] = [
    "rescue",
    "rehabilitation",
    "prosecution",
    "leadership",
    "prevention",
    "mis",
];

/// Metadata of an indicator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorMeta {
    pub id: String,
    /// The programme's dimension it measures (see [`PILLARS`]): the reports
    /// group indicators by it, then by theme.
    pub pillar: String,
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
    /// The models it reads (dbt's `ref()`).
    #[serde(skip_serializing)]
    pub depends_on: Vec<String>,
    /// The breakdowns it can be shown by, besides the consortium total.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Targets the programme set, by period ("FY 2025-26" = 25.0).
    #[serde(default)]
    pub targets: BTreeMap<String, f64>,
    /// Breakdowns the dashboard shows beside partner and district (the
    /// workbook shows them all): `["investigated_by"]` sets the cases an
    /// AHTU investigated against those the local police kept.
    #[serde(default, skip_serializing)]
    pub dashboard_breakdowns: Vec<String>,
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

impl Model {
    /// Its SQL as one statement to embed: trimmed, without a final `;`.
    pub fn body(&self) -> &str {
        self.sql.trim().trim_end_matches(';')
    }

    /// Whether the warehouse file keeps it at all: an intermediate model
    /// and a staging model are built for the run only.
    pub fn is_kept(&self) -> bool {
        !matches!(self.layer, "staging" | "intermediate")
    }

    /// Whether the warehouse file keeps it as a view.
    pub fn is_view(&self) -> bool {
        self.meta.as_ref().is_some_and(|m| m.materialized == Materialized::View)
    }

    /// The models it declares it reads.
    pub fn depends_on(&self) -> &[String] {
        match (&self.meta, &self.indicator) {
            (Some(m), _) => &m.depends_on,
            (_, Some(i)) => &i.depends_on,
            _ => &[],
        }
    }

    /// Where it lives, for messages.
    fn path(&self) -> String {
        format!("sql/{}/{}.toml", self.layer, self.name)
    }
}

/// All models, in the order they must run.
#[derive(Debug)]
pub struct Project {
    pub macros: String,
    /// The macros of `macros`, each with the comment above it.
    pub macro_docs: Vec<MacroDoc>,
    pub models: Vec<Model>,
    /// `sql/dictionary.toml`: what the tables built in code and every
    /// column name mean.
    pub dictionary: Dictionary,
}

/// The warehouse's data dictionary for what is not a model (see
/// `sql/dictionary.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dictionary {
    /// Tables and views built in code, by name.
    #[serde(default)]
    pub tables: BTreeMap<String, String>,
    /// Column names ("column", or "table.column" where a table means
    /// something else by it).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Dictionary {
    /// What `table.column` means: the table's own sense of the name, else
    /// the name's, else the canonical schemas' description of the column
    /// (a `<name>_token` column from its direct identifier). `None` when no
    /// one has written it down.
    pub fn column(&self, table: &str, column: &str, schemas: &[crate::config::schema::TableSchema]) -> Option<String> {
        if let Some(d) = self
            .columns
            .get(&format!("{table}.{column}"))
            .or_else(|| self.columns.get(column))
        {
            return Some(d.clone());
        }
        let canonical = schemas.iter().flat_map(|s| &s.columns);
        for c in canonical {
            if c.name == column {
                return Some(c.description.clone());
            }
            if c.privacy == crate::config::schema::Privacy::Direct && column.strip_suffix("_token") == Some(&c.name) {
                return Some(format!(
                    "{} As a keyed token (a keyed hash: one value gives one token, and the value itself stays in the restricted area).",
                    c.description.trim()
                ));
            }
        }
        None
    }
}

/// A macro of `sql/macros.sql`, documented by the comment lines right
/// above its `create` (the one place its meaning is written): the
/// warehouse carries it as `COMMENT ON MACRO`, and the codebook lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDoc {
    pub name: String,
    /// The parameters as declared: `d`, `n, d`.
    pub params: String,
    pub doc: String,
    /// A table macro (`as table`: used in `from`), not a scalar one.
    pub table: bool,
}

/// The macros of `macros.sql` in order, with their comments. A macro
/// without a comment above it is a configuration error: researchers call
/// these, and the codebook must say what they do.
pub fn macro_docs(macros: &str) -> std::result::Result<Vec<MacroDoc>, String> {
    let mut out = Vec::new();
    let mut comment: Vec<&str> = Vec::new();
    for line in macros.lines() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix("--") {
            comment.push(c.trim());
            continue;
        }
        if let Some(rest) = t.strip_prefix("create or replace macro ") {
            let (name, after) = rest
                .split_once('(')
                .ok_or(format!("sql/macros.sql: cannot read `{t}`"))?;
            let params = after.split_once(')').map_or("", |(p, _)| p).trim().to_string();
            if comment.is_empty() {
                return Err(format!(
                    "sql/macros.sql: macro `{}` has no comment above it",
                    name.trim()
                ));
            }
            out.push(MacroDoc {
                name: name.trim().to_string(),
                params,
                doc: comment.join(" "),
                table: after.contains(") as table"),
            });
        }
        comment.clear();
    }
    Ok(out)
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
        let dictionary = match SQL_DIR.get_file("dictionary.toml").and_then(|f| f.contents_utf8()) {
            Some(t) => toml::from_str::<Dictionary>(t).unwrap_or_else(|e| {
                problems.push(format!("sql/dictionary.toml: {e}"));
                Dictionary::default()
            }),
            None => {
                problems.push("sql/dictionary.toml: missing".into());
                Dictionary::default()
            }
        };
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
            models.extend(in_layer);
        }
        let macro_docs = macro_docs(&macros).unwrap_or_else(|e| {
            problems.push(e);
            Vec::new()
        });
        check_declarations(&models, &mut problems);
        let models = if problems.is_empty() {
            order_by_dependency(models, &mut problems)
        } else {
            models
        };
        if problems.is_empty() {
            Ok(Project {
                macros,
                macro_docs,
                models,
                dictionary,
            })
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
        all.sort_by_key(|i| (PILLARS.iter().position(|p| *p == i.pillar), i.order, i.id.as_str()));
        all.into_iter()
    }
}

/// Whether `sql` names `model` as a whole word (a comment that names a
/// model counts: a model's comments say what it reads).
fn references(sql: &str, model: &str) -> bool {
    sql.match_indices(model).any(|(i, _)| {
        let after = sql[i + model.len()..].chars().next();
        !word_before(sql, i) && !is_word(after)
    })
}

/// Whether the SQL names a lake table (`raw_...`, a whole word) without
/// its schema.
fn unqualified_raw(sql: &str) -> bool {
    sql.match_indices("raw_").any(|(i, _)| {
        let before = &sql[..i];
        !word_before(sql, i) && !before.ends_with("staging.") && !before.ends_with("main.")
    })
}

/// Whether a character of a name (an SQL word) is right before byte `i`.
fn word_before(sql: &str, i: usize) -> bool {
    is_word(sql[..i].chars().next_back())
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every declared dependency is a model of the same or an earlier layer,
/// and the SQL names exactly the models it declares.
fn check_declarations(models: &[Model], problems: &mut Vec<String>) {
    // Views are read by clients whose search path is `main` alone
    // (DuckDB 1.x binds a view's names in the reader's path). A mart view
    // is kept in `main`: it may read only what is in `main` and kept as a
    // table. A staging view reads the lake's tables alone, each named with
    // its schema.
    for m in models.iter().filter(|m| m.is_view()) {
        if m.layer == "staging" {
            if !m.depends_on().is_empty() {
                problems.push(format!("{}: a staging view may read only the lake's tables", m.path()));
            }
            if unqualified_raw(&m.sql) {
                problems.push(format!(
                    "{}: a staging view must name the lake's tables with their schema (`staging.raw_...`, `main.raw_...`)",
                    m.path()
                ));
            }
            continue;
        }
        if m.layer != "marts" {
            problems.push(format!(
                "{}: only a staging model or a mart may be materialized as a view",
                m.path()
            ));
        }
        for d in m.depends_on() {
            if let Some(dep) = models.iter().find(|o| &o.name == d)
                && (dep.layer != "marts" || dep.is_view())
            {
                problems.push(format!(
                    "{}: a view may read only marts kept as tables, not `{d}`",
                    m.path()
                ));
            }
        }
    }
    let layer_of = |name: &str| {
        models
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| LAYERS.iter().position(|l| *l == m.layer))
    };
    for m in models {
        if let Some(ind) = &m.indicator {
            if !PILLARS.contains(&ind.pillar.as_str()) {
                problems.push(format!(
                    "{}: `pillar` is `{}`; it is one of {}",
                    m.path(),
                    ind.pillar,
                    PILLARS.join(", ")
                ));
            }
            for d in ind.dashboard_breakdowns.iter().filter(|d| !ind.dimensions.contains(d)) {
                problems.push(format!(
                    "{}: `dashboard_breakdowns` names `{d}`, which `dimensions` does not declare",
                    m.path()
                ));
            }
        }
        let own = LAYERS.iter().position(|l| *l == m.layer);
        for d in m.depends_on() {
            match layer_of(d) {
                None => problems.push(format!("{}: `depends_on` names `{d}`, which is no model", m.path())),
                Some(l) if Some(l) > own => problems.push(format!(
                    "{}: `depends_on` names `{d}`, a model of a later layer",
                    m.path()
                )),
                Some(_) if !references(&m.sql, d) => problems.push(format!(
                    "{}: `depends_on` names `{d}`, which its SQL does not read",
                    m.path()
                )),
                Some(_) => {}
            }
        }
        for other in models.iter().filter(|o| o.name != m.name) {
            if references(&m.sql, &other.name) && !m.depends_on().contains(&other.name) {
                problems.push(format!(
                    "{}: its SQL reads `{}`; add it to `depends_on`",
                    m.path(),
                    other.name
                ));
            }
        }
    }
}

/// Layer by layer, each model after the models it declares (sorted by name
/// where the declarations leave the order open).
fn order_by_dependency(models: Vec<Model>, problems: &mut Vec<String>) -> Vec<Model> {
    let mut done: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for layer in LAYERS {
        let mut left: Vec<Model> = models.iter().filter(|m| m.layer == layer).cloned().collect();
        while !left.is_empty() {
            let (ready, waiting): (Vec<Model>, Vec<Model>) = left
                .into_iter()
                .partition(|m| m.depends_on().iter().all(|d| done.contains(d)));
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
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::Connection;

    #[test]
    fn a_golden_record_does_not_depend_on_the_order_its_records_arrive_in() {
        // One person, two records of one partner in one export, registered
        // and rescued the same days: only their rows tell them apart. DuckDB's
        // arg_max keeps whichever tied row it meets first, and at a million
        // records its threads meet them in varying order, so an incremental
        // night and a full rebuild gave 108 people different golden records.
        let p = Project::load().unwrap();
        let people = p.models.iter().find(|m| m.name == "dim_people").unwrap();
        let golden = |order: &str| -> (String, String) {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(&p.macros).unwrap();
            conn.execute_batch(&format!(
                "create table stg_reference__places (district varchar, region varchar, region_kind varchar);
                 create table int_survivors as
                 select * from (values ('S-2', 'female', 'Nadia', 7), ('S-1', 'male', 'Malda', 3))
                     as v(survivor_ref, sex, home_district, source_row)
                 cross join (select 'P-1' as person_key, 'ngo' as partner_id, 'ngo/file-0123456789.csv' as source_file,
                     1 as source_file_order,
                     date '2024-01-05' as registered_date, date '2023-12-30' as rescue_date,
                     null::date as date_of_birth, null::int as age_at_rescue_years, null::boolean as is_child_at_rescue,
                     null::varchar as trafficking_form, null::varchar as destination_state, null::boolean as is_inter_state,
                     null::varchar as legal_representation, null::boolean as has_free_legal_representation,
                     null::boolean as is_collective_member)
                 order by survivor_ref {order};
                 create table dim_people as {};",
                people.body()
            ))
            .unwrap();
            conn.query_row("select sex, home_district from dim_people", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        };
        assert_eq!(golden("asc"), golden("desc"));
        assert_eq!(
            golden("asc"),
            ("female".to_string(), "Nadia".to_string()),
            "the later row wins a tie"
        );
    }

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
    fn a_dependency_the_sql_reads_must_be_declared_and_a_declared_one_read() {
        let model = |name: &str, layer: &'static str, sql: &str, deps: &[&str]| Model {
            name: name.into(),
            layer,
            sql: sql.into(),
            meta: Some(ModelMeta {
                description: String::new(),
                grain: String::new(),
                depends_on: deps.iter().map(|d| d.to_string()).collect(),
                tests: ModelTests::default(),
                materialized: Materialized::Table,
            }),
            indicator: None,
        };
        let check = |models: &[Model]| {
            let mut problems = Vec::new();
            check_declarations(models, &mut problems);
            problems
        };
        let base = model("stg_a", "staging", "select 1", &[]);
        assert!(check(&[base.clone(), model("fct_b", "marts", "from stg_a", &["stg_a"])]).is_empty());
        let undeclared = check(&[base.clone(), model("fct_b", "marts", "from stg_a", &[])]);
        assert!(undeclared[0].contains("add it to `depends_on`"), "{undeclared:?}");
        let stale = check(&[base.clone(), model("fct_b", "marts", "select 2", &["stg_a"])]);
        assert!(stale[0].contains("does not read"), "{stale:?}");
        let upward = check(&[
            model("stg_a", "staging", "from fct_b", &["fct_b"]),
            model("fct_b", "marts", "select 1", &[]),
        ]);
        assert!(upward[0].contains("later layer"), "{upward:?}");
        // A view is read by clients that search `main` only: it may read
        // marts kept as tables, nothing in staging, and is a mart itself.
        let view = |mut m: Model| {
            m.meta.as_mut().unwrap().materialized = Materialized::View;
            m
        };
        let mart = model("fct_a", "marts", "select 1", &[]);
        assert!(check(&[mart.clone(), view(model("fct_v", "marts", "from fct_a", &["fct_a"]))]).is_empty());
        let on_staging = check(&[base.clone(), view(model("fct_v", "marts", "from stg_a", &["stg_a"]))]);
        assert!(on_staging[0].contains("only marts kept as tables"), "{on_staging:?}");
        let on_view = check(&[
            view(mart.clone()),
            view(model("fct_v", "marts", "from fct_a", &["fct_a"])),
        ]);
        assert!(
            on_view[0].contains("only marts kept as tables, not `fct_a`"),
            "{on_view:?}"
        );
        // A staging view names the lake's tables with their schema.
        assert!(check(&[view(model("stg_v", "staging", "from staging.raw_x", &[]))]).is_empty());
        let unqualified = check(&[view(model("stg_v", "staging", "from raw_x", &[]))]);
        assert!(unqualified[0].contains("with their schema"), "{unqualified:?}");
        let on_model = check(&[base.clone(), view(model("stg_v", "staging", "from stg_a", &["stg_a"]))]);
        assert!(on_model[0].contains("only the lake's tables"), "{on_model:?}");
        let cycle = {
            let mut problems = Vec::new();
            order_by_dependency(
                vec![
                    model("fct_a", "marts", "from fct_b", &["fct_b"]),
                    model("fct_b", "marts", "from fct_a", &["fct_a"]),
                ],
                &mut problems,
            );
            problems
        };
        assert!(cycle[0].contains("cycle"), "{cycle:?}");
    }

    #[test]
    fn references_are_whole_words() {
        assert!(references("select * from fct_cases c", "fct_cases"));
        assert!(!references("select * from fct_cases_old", "fct_cases"));
    }

    #[test]
    fn every_macro_is_read_with_its_comment_and_one_without_is_refused() {
        let docs = Project::load().unwrap().macro_docs;
        let fy = docs.iter().find(|m| m.name == "financial_year").unwrap();
        assert_eq!(fy.params, "d");
        assert!(fy.doc.starts_with("The Indian financial year"), "{}", fy.doc);
        assert!(docs.iter().any(|m| m.name == "wilson_high" && m.params == "n, d"));
        let bare = "-- one\ncreate or replace macro a(x) as x;\n\ncreate or replace macro b(x) as x;\n";
        let err = super::macro_docs(bare).unwrap_err();
        assert!(err.contains("macro `b`") && err.contains("sql/macros.sql"), "{err}");
    }
}
