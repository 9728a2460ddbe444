//! `tafteesh bench`'s measurement: the whole run on N synthetic survivors,
//! a no-op night and a night after one partner changed, each beside the
//! floor (every claimed file read and written to Parquet by polars alone),
//! so the performance goals can be read as ratios measured in the same
//! sitting. The command line ([`crate::cli::bench`]) only prints it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Plan;
use crate::error::{Error, Result};
use crate::ingest::{FileReport, IngestTimes};
use crate::metrics::StageMetric;
use crate::run::{self, RunOptions};

/// What to measure, and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many people the fictional world holds.
    pub survivors: usize,
    /// Seed for the generator.
    pub seed: u64,
    /// Working folder, holding the generated data between sittings.
    pub dir: PathBuf,
    /// Regenerate the data even when the folder holds it.
    pub regenerate: bool,
    /// How to measure the floor; `None` to not measure it.
    pub floor: Option<FloorOptions>,
}

/// The Python that runs the floor, and the script (the built-in copy of the
/// programme's shared floor script when `None`).
#[derive(Debug, Clone)]
pub struct FloorOptions {
    pub python: PathBuf,
    pub script: Option<PathBuf>,
}

/// What a sitting measured.
pub struct Bench {
    pub survivors: usize,
    pub rows_read: usize,
    /// Bytes of the claimed exports.
    pub input_bytes: u64,
    /// Seconds generating the data took, when it was generated (not counted).
    pub synth_seconds: Option<f64>,
    /// The full run's stages.
    pub stages: Vec<StageMetric>,
    /// The full run's wall seconds and peak memory.
    pub wall_seconds: f64,
    pub peak_mib: f64,
    /// Published runs the warehouse loaded the indicator history of: a
    /// folder used before carries more, so its warehouse stage is longer.
    pub history_runs: usize,
    pub ingest_times: IngestTimes,
    /// A run with nothing changed.
    pub noop_seconds: f64,
    /// A run after one partner's export changed.
    pub night: Night,
    /// Nights of different kinds, one after another (see [`history`]).
    pub history: Vec<HistoryNight>,
    /// The floor on the whole inbox, and on the changed partner's files.
    pub floor_seconds: Vec<f64>,
    pub partner_floor_seconds: Vec<f64>,
    /// How the floor was run, for the message when it did not.
    pub floor: Option<FloorOptions>,
    /// The floor's polars and fastexcel versions, as its Python reports them.
    pub floor_versions: Option<String>,
}

/// Measure a sitting: generate the data (in a child process, unless the
/// folder holds it), run the whole job on it (forced, as a first run),
/// then a no-op night and a night after one partner changed, with the
/// floor measured alternately with the runs, so a busy moment of the
/// machine falls on both.
pub fn measure(opts: &Options) -> Result<Bench> {
    let synth_seconds = generate(opts)?;
    let config = crate::synth::set_up_config(&opts.dir)?;
    let plan = Plan::resolve(&config, None)?;
    // The full run rebuilds everything and trains the linkage model.
    let run_opts = |force| RunOptions {
        now: chrono::Utc::now(),
        fail_after: None,
        force,
        retrain: force,
        accept_shrink: true,
        trust_clock: false,
        new_key: false,
    };
    let floor = opts.floor.as_ref().map(|f| Floor::new(f, &opts.dir));
    let floor_versions = floor.as_ref().and_then(Floor::versions);
    let mut whole_floor = Vec::new();
    let mut partner_floor = Vec::new();
    let measure = |into: &mut Vec<f64>, cfg: &Path| {
        if let Some(secs) = floor.as_ref().and_then(|f| f.measure(cfg)) {
            into.push(secs);
        }
    };
    let history_runs = crate::warehouse::history::run_files(&plan.layout().history())
        .map(|files| files.len())
        .unwrap_or(0);
    measure(&mut whole_floor, &config);
    let t = Instant::now();
    let run::RunOutcome::Published(s) = run::run(&plan, run_opts(true))? else {
        return Err(Error::Internal("a forced run always publishes".into()));
    };
    let wall_seconds = t.elapsed().as_secs_f64();
    measure(&mut whole_floor, &config);

    let t = Instant::now();
    let noop = run::run(&plan, run_opts(false))?;
    let noop_seconds = t.elapsed().as_secs_f64();
    if !matches!(noop, run::RunOutcome::Unchanged(_)) {
        return Err(Error::Internal(
            "the second run on the same inbox was not a no-op".into(),
        ));
    }
    // Files are published by alias; the bench opens them by their real names.
    let real = crate::restricted::real_file_names(&plan.layout().restricted_latest());
    let real_path = |f: &FileReport| real.get(&f.file).map(|r| plan.inbox.join(r));
    let changed = s.files.iter().find(|f| f.error.is_none() && f.file.ends_with(".csv"));
    let partner_config = match (changed, &floor) {
        (Some(f), Some(floor)) => Some(floor.partner_config(&plan, &f.partner_id)?),
        _ => None,
    };
    if let Some(cfg) = &partner_config {
        measure(&mut partner_floor, cfg);
    }
    let night = time_one_partner_changed(&plan, changed.and_then(|f| Some((f, real_path(f)?))), run_opts(false))?;
    if let Some(cfg) = &partner_config {
        measure(&mut partner_floor, cfg);
        measure(&mut partner_floor, cfg);
    }
    let csv_files: Vec<(String, PathBuf)> = s
        .files
        .iter()
        .filter(|f| f.error.is_none() && f.file.ends_with(".csv"))
        .filter_map(|f| Some((f.partner_id.clone(), real_path(f)?)))
        .collect();
    let history = history(&config, &plan, &csv_files, || run_opts(false))?;
    measure(&mut whole_floor, &config);
    let input_bytes: u64 = s
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(real_path(f)?).ok())
        .map(|m| m.len())
        .sum();
    Ok(Bench {
        survivors: opts.survivors,
        rows_read: s.rows_read,
        input_bytes,
        synth_seconds,
        peak_mib: s.stages.iter().map(|m| m.peak_mib).fold(0.0, f64::max),
        stages: s.stages,
        wall_seconds,
        history_runs,
        ingest_times: s.ingest_times,
        noop_seconds,
        night,
        history,
        floor_seconds: whole_floor,
        partner_floor_seconds: partner_floor,
        floor: opts.floor.clone(),
        floor_versions,
    })
}

/// Generate the bench data unless the folder holds it, in a child process
/// so the generator's memory does not count in the run's peak; the seconds
/// it took, when it ran.
fn generate(opts: &Options) -> Result<Option<f64>> {
    let marker = opts.dir.join("truth/survivors.csv");
    if !opts.regenerate && marker.exists() {
        return Ok(None);
    }
    let t = Instant::now();
    let exe = std::env::current_exe().map_err(Error::io("current executable"))?;
    let status = std::process::Command::new(&exe)
        .arg("synth")
        .args([
            "--survivors",
            &opts.survivors.to_string(),
            "--seed",
            &opts.seed.to_string(),
        ])
        .arg("--out")
        .arg(&opts.dir)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(Error::io(&exe))?;
    if !status.success() {
        return Err(Error::Internal(format!("generating the bench data failed ({status})")));
    }
    Ok(Some(t.elapsed().as_secs_f64()))
}

impl Bench {
    /// The median floor on the whole inbox, and on the changed partner's files.
    pub fn floors(&self) -> (Option<f64>, Option<f64>) {
        (median(&self.floor_seconds), median(&self.partner_floor_seconds))
    }

    /// The sitting as the report prints it, line by line.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "bench: {} survivors, {} input rows, {:.1} MiB of exports",
            self.survivors,
            self.rows_read,
            self.input_bytes as f64 / 1048576.0
        )];
        if let Some(secs) = self.synth_seconds {
            out.push(format!("  (generating the data took {secs:.1}s, not counted)"));
        }
        out.extend(self.run_lines());
        out.extend(self.night_lines());
        out.extend(self.history_lines());
        out.extend(self.floor_lines());
        out
    }

    /// The full run: its stages, throughput and where the cleaning went.
    fn run_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "  {:<24} {:>9} {:>11} {:>12}",
            "stage", "seconds", "peak MiB", "rows"
        )];
        for m in &self.stages {
            out.push(format!(
                "  {:<24} {:>9.2} {:>11.0} {:>12}",
                m.stage, m.seconds, m.peak_mib, m.rows
            ));
        }
        out.push(format!(
            "  {:<24} {:>9.2} {:>11.0}",
            "whole run", self.wall_seconds, self.peak_mib
        ));
        out.push(format!(
            "  the warehouse loaded the indicator history of {} earlier run(s) from this folder",
            self.history_runs
        ));
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        if let Some(clean) = self.stages.iter().find(|m| m.stage.starts_with("extract")) {
            out.push(format!(
                "  extract+stage+clean: {:.0} rows/s ({cores} cores available)",
                self.rows_read as f64 / clean.seconds.max(1e-9),
            ));
        }
        let t = self.ingest_times;
        out.push(format!(
            "  summed over partners: reading files {:.1}s; cleaning them {:.1}s, {:.1}s CPU ({:.0} rows/s per core); cleaning / reading = {:.2}",
            t.read,
            t.clean,
            t.clean_cpu,
            self.rows_read as f64 / t.clean_cpu.max(1e-9),
            t.clean / t.read.max(1e-9)
        ));
        out
    }

    /// The no-op night and the one-partner-changed night.
    fn night_lines(&self) -> Vec<String> {
        let night = &self.night;
        let mut out = vec![
            format!("  no-op run (nothing changed):        {:>7.3}s", self.noop_seconds),
            format!(
                "  run after one partner changed ({}, {} of its records deleted): {:>7.2}s",
                night.partner, night.deleted, night.seconds
            ),
        ];
        // What the night spent beyond cleaning the changed partner: linkage's
        // passes over every record and the whole warehouse, the fixed cost.
        if !night.stages.is_empty() {
            let parts: Vec<String> = night
                .stages
                .iter()
                .map(|m| format!("{} {:.2}s", m.stage, m.seconds))
                .collect();
            out.push(format!("    its stages: {}", parts.join(", ")));
        }
        if let Some(l) = &night.linkage {
            out.push(format!(
                "    its linkage: model {}, {} of {} records changed, {} of {} pairs scored",
                l.model,
                l.records_changed.map_or_else(|| "?".to_string(), |n| n.to_string()),
                l.records,
                l.pairs_scored,
                l.pairs
            ));
        }
        out
    }

    /// The history of nights: each night's seconds and share of the full
    /// run, its stages and the warehouse steps that took longest.
    fn history_lines(&self) -> Vec<String> {
        if self.history.is_empty() {
            return vec![];
        }
        let mut out = vec![format!(
            "  nights, one after another (share of the full run's {:.2}s; goal: a changed night <= 20%, nothing changed < 1s):",
            self.wall_seconds
        )];
        for n in &self.history {
            out.push(format!(
                "    {:<58} {:>8.2}s {:>5.1}%",
                n.what,
                n.seconds,
                100.0 * n.seconds / self.wall_seconds.max(1e-9)
            ));
            if !n.stages.is_empty() {
                let parts: Vec<String> = n
                    .stages
                    .iter()
                    .map(|m| format!("{} {:.2}s", m.stage, m.seconds))
                    .collect();
                out.push(format!(
                    "      {} partner(s) cleaned; {}",
                    n.recomputed,
                    parts.join(", ")
                ));
            }
            if let Some(l) = &n.linkage {
                out.push(format!(
                    "      linkage: model {}, {} of {} pairs scored",
                    l.model, l.pairs_scored, l.pairs
                ));
            }
            if !n.slowest.is_empty() {
                let parts: Vec<String> = n
                    .slowest
                    .iter()
                    .map(|t| format!("{} {:.2}s", t.step, t.seconds))
                    .collect();
                out.push(format!("      slowest warehouse steps: {}", parts.join(", ")));
            }
        }
        out
    }

    /// The floors and the ratios the performance goals are stated in.
    fn floor_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (incremental, partner_id) = (self.night.seconds, &self.night.partner);
        match self.floors() {
            (Some(whole), partner) => {
                out.push(format!(
                    "  floor (polars alone, every claimed file to Parquet; median of {}): {whole:.2}s",
                    self.floor_seconds.len()
                ));
                out.push(format!(
                    "    the floor ran with {} (scripts/bench_floor.py pins polars 2.1.0, fastexcel 0.21.0)",
                    self.floor_versions.as_deref().unwrap_or("polars of an unknown version")
                ));
                out.push(format!(
                    "    full run / floor:                     {:>6.1}x",
                    self.wall_seconds / whole
                ));
                if let Some(p) = partner {
                    out.push(format!(
                        "    floor for {partner_id}'s files (median of {}): {p:.2}s",
                        self.partner_floor_seconds.len()
                    ));
                    out.push(format!(
                        "    one-partner-changed night / its floor: {:>6.1}x ({:.2}s over 1.5x its floor)",
                        incremental / p,
                        incremental - 1.5 * p
                    ));
                    if let Some(split) = self.night.split() {
                        out.push(format!(
                            "    of which its own clean {:.2}s, {:.1}x its floor; the fixed cost (linkage, warehouse, reports, publishing: whichever partner changed) {:.2}s",
                            split.own,
                            split.own / p,
                            split.fixed
                        ));
                    }
                }
            }
            (None, _) => {
                if let Some(f) = &self.floor {
                    out.push(format!(
                        "  floor not measured: `{} {}` did not run (it needs `pip install polars fastexcel`; see --floor-python)",
                        f.python.display(),
                        f.script
                            .as_ref()
                            .map_or_else(|| "scripts/bench_floor.py".into(), |p| p.display().to_string())
                    ));
                }
            }
        }
        out
    }

    /// The sitting as JSON, for a log of sittings.
    pub fn json(&self) -> serde_json::Value {
        let (whole, partner) = self.floors();
        let night = &self.night;
        let split = night.split();
        let t = self.ingest_times;
        let wall = self.wall_seconds;
        serde_json::json!({
            "survivors": self.survivors, "rows_read": self.rows_read, "input_bytes": self.input_bytes,
            "wall_seconds": wall, "peak_mib": self.peak_mib, "stages": self.stages, "synth_seconds": self.synth_seconds,
            "read_seconds": t.read, "clean_seconds": t.clean, "clean_cpu_seconds": t.clean_cpu,
            "noop_seconds": self.noop_seconds, "one_partner_changed_seconds": night.seconds,
            "one_partner_changed_stages": night.stages,
            "one_partner_changed_deleted_records": night.deleted,
            "one_partner_changed_linkage": night.linkage,
            "changed_partner": night.partner, "history_runs": self.history_runs,
            "floor_seconds": self.floor_seconds, "floor_versions": self.floor_versions, "partner_floor_seconds": self.partner_floor_seconds,
            "full_over_floor": whole.map(|f| wall / f),
            "one_partner_changed_over_its_floor": partner.map(|p| night.seconds / p),
            "one_partner_changed_own_seconds": split.as_ref().map(|s| s.own),
            "one_partner_changed_fixed_seconds": split.as_ref().map(|s| s.fixed),
            "one_partner_changed_own_over_its_floor": split.as_ref().zip(partner).map(|(s, p)| s.own / p),
            "nights": self.history.iter().map(|n| serde_json::json!({
                "what": n.what, "seconds": n.seconds, "share_of_full": n.seconds / wall.max(1e-9),
                "stages": n.stages, "partners_cleaned": n.recomputed, "linkage": n.linkage,
                "slowest_warehouse_steps": n.slowest,
            })).collect::<Vec<_>>(),
        })
    }
}

/// What the bench's night did: its seconds, the partner it changed, the
/// records it deleted, the night's stages and its linkage.
pub struct Night {
    pub seconds: f64,
    pub partner: String,
    pub deleted: usize,
    pub stages: Vec<StageMetric>,
    pub linkage: Option<crate::link::stage::LinkageRun>,
}

/// A night's seconds split as the goal reads them: what the changed
/// partner costs (its clean, the one stage that reads its files: it may
/// be 1.5 times their floor) and the fixed cost, the rest of the night,
/// which any partner's change costs the same (linkage's passes over
/// every record, the whole warehouse, the reports, publishing).
pub struct NightSplit {
    pub own: f64,
    pub fixed: f64,
}

impl Night {
    pub fn split(&self) -> Option<NightSplit> {
        let own = self.stages.iter().find(|m| m.stage == "extract+stage+clean")?.seconds;
        Some(NightSplit {
            own,
            fixed: (self.seconds - own).max(0.0),
        })
    }
}

/// One in how many data records the bench's night deletes.
const NIGHT_DELETES_ONE_IN: usize = 100;

/// Delete one record in a hundred from one partner's CSV export `f` (its
/// survivors, cases and claims go with it: a night whose records really
/// changed, so linkage scores and keys them again and every mart moves),
/// time the run that follows, and restore the file.
///
/// A night that only appends a duplicate row changes no record: linkage
/// then rescores nothing, and the bench understated a real night.
fn time_one_partner_changed(plan: &Plan, f: Option<(&FileReport, PathBuf)>, opts: RunOptions) -> Result<Night> {
    let Some((f, path)) = f else {
        return Ok(Night {
            seconds: 0.0,
            partner: "none".into(),
            deleted: 0,
            stages: vec![],
            linkage: None,
        });
    };
    let bytes = std::fs::read(&path).map_err(Error::io(&path))?;
    let (fewer, deleted) = delete_records(&bytes, NIGHT_DELETES_ONE_IN, 0);
    std::fs::write(&path, &fewer).map_err(Error::io(&path))?;
    let t = Instant::now();
    let result = run::run(plan, opts);
    let seconds = t.elapsed().as_secs_f64();
    std::fs::write(&path, &bytes).map_err(Error::io(&path))?;
    match result? {
        run::RunOutcome::Published(r) if r.recomputed_partners == [f.partner_id.clone()] => Ok(Night {
            seconds,
            partner: f.partner_id.clone(),
            deleted,
            stages: r.stages,
            linkage: r.linkage,
        }),
        _ => Err(Error::Internal(format!(
            "after changing one file of {} the run did not clean that partner alone",
            f.partner_id
        ))),
    }
}

/// One night of the bench's history: what changed, its seconds, stages,
/// linkage, how many partners it cleaned and its slowest warehouse steps
/// (the ledger keeps every step's timing; these explain a slow night).
pub struct HistoryNight {
    pub what: String,
    pub seconds: f64,
    pub stages: Vec<StageMetric>,
    pub linkage: Option<crate::link::stage::LinkageRun>,
    pub recomputed: usize,
    pub slowest: Vec<crate::warehouse::StepTiming>,
}

/// Six nights one after another, as cron would meet them: one partner's
/// export changed, two partners' changed, a partner left (its pipeline
/// removed), it joined again (a partner added: every record of it new to
/// the lake), one record edited in place, and nothing changed. The inbox
/// and the pipelines are restored afterwards, whatever happened.
/// `csv_files`: the readable CSV exports, by partner.
fn history(
    config: &Path,
    plan: &Plan,
    csv_files: &[(String, PathBuf)],
    opts: impl Fn() -> RunOptions,
) -> Result<Vec<HistoryNight>> {
    let mut partners: Vec<&str> = csv_files.iter().map(|(p, _)| p.as_str()).collect();
    partners.dedup();
    let file_of = |p: &str| csv_files.iter().find(|(q, _)| q == p).map(|(_, f)| f.clone());
    let (Some(first), Some(second), Some(third)) = (partners.first(), partners.get(1), partners.get(2)) else {
        return Ok(vec![]);
    };
    // The partner that leaves and joins: the last pipeline that is none of those three.
    let Some((pipeline, leaving)) = plan
        .pipelines
        .iter()
        .rev()
        .find(|(_, p)| ![*first, *second, *third].contains(&p.partner_id.as_str()))
        .map(|(path, p)| (path.clone(), p.partner_id.clone()))
    else {
        return Ok(vec![]);
    };
    let changed: Vec<PathBuf> = [*first, *second, *third].iter().filter_map(|p| file_of(p)).collect();
    let mut saved = Vec::new();
    for f in &changed {
        saved.push((f.clone(), std::fs::read(f).map_err(Error::io(f))?));
    }
    let away = pipeline.with_extension("toml.away");
    let result = history_nights(config, plan, &changed, (&pipeline, &away, &leaving), opts);
    // Put everything back, even after a failed night.
    let _ = std::fs::rename(&away, &pipeline);
    for (f, bytes) in saved {
        std::fs::write(&f, bytes).map_err(Error::io(&f))?;
    }
    result
}

fn history_nights(
    config: &Path,
    plan: &Plan,
    changed: &[PathBuf],
    (pipeline, away, leaving): (&Path, &Path, &str),
    opts: impl Fn() -> RunOptions,
) -> Result<Vec<HistoryNight>> {
    let partner_of = |f: &Path| {
        f.strip_prefix(&plan.inbox)
            .ok()
            .and_then(|r| r.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let delete = |f: &Path| -> Result<usize> {
        let bytes = std::fs::read(f).map_err(Error::io(f))?;
        // Not the records the one-partner night deleted (and put back):
        // deleting those again would be last snapshot's inbox, a no-op.
        let (fewer, deleted) = delete_records(&bytes, NIGHT_DELETES_ONE_IN, 1);
        std::fs::write(f, fewer).map_err(Error::io(f))?;
        Ok(deleted)
    };
    let night = |what: String, plan: &Plan| -> Result<HistoryNight> {
        let t = Instant::now();
        let outcome = run::run(plan, opts())?;
        let seconds = t.elapsed().as_secs_f64();
        tracing::info!("bench night: {what}: {seconds:.2}s");
        Ok(match outcome {
            run::RunOutcome::Published(r) => {
                let mut slowest = r.warehouse_steps;
                slowest.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
                slowest.truncate(3);
                HistoryNight {
                    what,
                    seconds,
                    stages: r.stages,
                    linkage: r.linkage,
                    recomputed: r.recomputed_partners.len(),
                    slowest,
                }
            }
            run::RunOutcome::Unchanged(_) => HistoryNight {
                what,
                seconds,
                stages: vec![],
                linkage: None,
                recomputed: 0,
                slowest: vec![],
            },
        })
    };
    let mut out = Vec::new();
    let n = delete(&changed[0])?;
    out.push(night(
        format!("one partner changed ({}: {n} records deleted)", partner_of(&changed[0])),
        plan,
    )?);
    let (a, b) = (delete(&changed[1])?, delete(&changed[2])?);
    out.push(night(
        format!(
            "two partners changed ({}, {}: {} records deleted)",
            partner_of(&changed[1]),
            partner_of(&changed[2]),
            a + b
        ),
        plan,
    )?);
    std::fs::rename(pipeline, away).map_err(Error::io(pipeline))?;
    let without = Plan::resolve(config, None)?;
    out.push(night(
        format!("a partner left ({leaving}'s pipeline removed)"),
        &without,
    )?);
    std::fs::rename(away, pipeline).map_err(Error::io(pipeline))?;
    let with = Plan::resolve(config, None)?;
    out.push(night(format!("a partner joined ({leaving}, every record new)"), &with)?);
    let bytes = std::fs::read(&changed[0]).map_err(Error::io(&changed[0]))?;
    if let Some(edited) = edit_in_place(&bytes) {
        std::fs::write(&changed[0], edited).map_err(Error::io(&changed[0]))?;
        out.push(night(
            format!("one record edited in place (in {})", partner_of(&changed[0])),
            &with,
        )?);
    }
    out.push(night("nothing changed".to_string(), &with)?);
    Ok(out)
}

/// A CSV file's bytes with one value of its first data record edited: two
/// letters of its longest run of ASCII letters (a name, a village) swapped,
/// as a data officer corrects a spelling. None if it has no such run.
fn edit_in_place(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = bytes.iter().position(|b| *b == b'\n')? + 1;
    let end = start
        + bytes[start..]
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(bytes.len() - start);
    let line = &bytes[start..end];
    let (mut best, mut at, mut run) = ((0usize, 0usize), 0usize, 0usize);
    for (i, b) in line.iter().enumerate() {
        if b.is_ascii_alphabetic() {
            if run == 0 {
                at = i;
            }
            run += 1;
            if run > best.1 {
                best = (at, run);
            }
        } else {
            run = 0;
        }
    }
    let (at, len) = best;
    if len < 4 {
        return None;
    }
    let i = (at + 1..at + len - 1).find(|i| line[*i] != line[i + 1])?;
    let mut out = bytes.to_vec();
    out.swap(start + i, start + i + 1);
    Some(out)
}

/// A CSV file's bytes without its data record `first` (from 0) and every
/// `n`th after it (the header kept; so a short file loses one), and how
/// many it left out. Records end at a line break (LF, CRLF or a lone CR) outside
/// quotes, so a quoted cell holding line breaks stays whole; `""` inside
/// quotes is an escaped quote.
fn delete_records(bytes: &[u8], n: usize, first: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(bytes.len());
    let (mut record, mut start, mut quoted, mut deleted) = (0usize, 0usize, false, 0usize);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            // LF or CRLF, or a lone CR (Excel's "CSV (Macintosh)").
            b'\r' | b'\n' if !quoted && (b == b'\n' || bytes.get(i + 1) != Some(&b'\n')) => {
                let line = &bytes[start..=i];
                // Record 0 is the header; a blank line is no record.
                let blank = line.iter().all(|c| c.is_ascii_whitespace());
                if record > 0 && !blank && (record - 1) % n == first % n {
                    deleted += 1;
                } else {
                    out.extend_from_slice(line);
                }
                if !blank {
                    record += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    let rest = &bytes[start..];
    if record > 0 && (record - 1) % n == first % n && !rest.iter().all(|c| c.is_ascii_whitespace()) {
        deleted += 1;
    } else {
        out.extend_from_slice(rest);
    }
    (out, deleted)
}

/// The median of some timings (None for none).
fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

/// The floor script and the Python that runs it.
struct Floor {
    python: PathBuf,
    script: PathBuf,
    scratch: PathBuf,
}

/// The programme's shared floor script, compiled in.
const FLOOR_SCRIPT: &str = include_str!("../scripts/bench_floor.py");

impl Floor {
    fn new(opts: &FloorOptions, dir: &Path) -> Floor {
        let scratch = dir.join("floor");
        let script = opts.script.clone().unwrap_or_else(|| {
            let path = scratch.join("bench_floor.py");
            if let Err(e) = std::fs::create_dir_all(&scratch).and_then(|()| std::fs::write(&path, FLOOR_SCRIPT)) {
                tracing::warn!("cannot write the floor script to {}: {e}", path.display());
            }
            path
        });
        Floor {
            python: opts.python.clone(),
            script,
            scratch,
        }
    }

    /// Seconds the floor took on what the configuration folder `cfg`
    /// claims (its own clock), or None when it could not run.
    fn measure(&self, cfg: &Path) -> Option<f64> {
        let out = self.scratch.join("parquet");
        let _ = std::fs::remove_dir_all(&out);
        let result = std::process::Command::new(&self.python)
            .arg(&self.script)
            .arg(cfg)
            .arg(&out)
            .stdin(std::process::Stdio::null())
            .output();
        let _ = std::fs::remove_dir_all(&out);
        let output = match result {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                // Not its message: polars may quote a cell of the exports.
                tracing::warn!(
                    "the floor script failed ({}); run `{} {} {} OUT_DIR` to see why",
                    o.status,
                    self.python.display(),
                    self.script.display(),
                    cfg.display()
                );
                return None;
            }
            Err(e) => {
                tracing::warn!("cannot start {}: {e}", self.python.display());
                return None;
            }
        };
        let line = String::from_utf8_lossy(&output.stdout);
        let v: serde_json::Value = serde_json::from_str(line.trim().lines().last()?).ok()?;
        v.get("seconds")?.as_f64()
    }

    /// "polars X, fastexcel Y", as the floor's Python imports them.
    fn versions(&self) -> Option<String> {
        let out = std::process::Command::new(&self.python)
            .args([
                "-c",
                "import polars, fastexcel; print(f'polars {polars.__version__}, fastexcel {fastexcel.__version__}')",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// A configuration folder claiming only `partner`'s files from the
    /// bench inbox, for that partner's floor.
    fn partner_config(&self, plan: &Plan, partner: &str) -> Result<PathBuf> {
        let cfg = self.scratch.join(format!("config-{partner}"));
        let pipelines = cfg.join("pipelines");
        std::fs::create_dir_all(&pipelines).map_err(Error::io(&pipelines))?;
        let inbox = std::path::absolute(&plan.inbox).map_err(Error::io(&plan.inbox))?;
        let toml = format!(
            "inbox = {}\npipelines = \"pipelines\"\n",
            toml::Value::String(inbox.to_string_lossy().into_owned())
        );
        let file = cfg.join("tafteesh.toml");
        std::fs::write(&file, toml).map_err(Error::io(&file))?;
        for (path, p) in &plan.pipelines {
            if p.partner_id == partner {
                let to = pipelines.join(path.file_name().unwrap_or_default());
                std::fs::copy(path, &to).map_err(Error::io(&to))?;
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::{delete_records, edit_in_place};

    #[test]
    fn an_edit_in_place_swaps_two_letters_of_the_first_records_longest_word() {
        let csv = b"id,name,village\r\n1,Rupa Das,Hingalganj\r\n2,Mina,Sandeshkhali\r\n";
        let edited = edit_in_place(csv).unwrap();
        assert_eq!(
            edited,
            b"id,name,village\r\n1,Rupa Das,Hnigalganj\r\n2,Mina,Sandeshkhali\r\n".to_vec()
        );
        assert_eq!(edit_in_place(b"id\n1\n"), None);
    }

    #[test]
    fn every_nth_record_goes_and_quoted_line_breaks_stay_whole() {
        // Five records after the header; the second holds a quoted line
        // break and an escaped quote, the fourth a blank line before it.
        let csv = b"id,note\r\n1,a\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n5,e";
        let (out, deleted) = delete_records(csv, 2, 0);
        assert_eq!(deleted, 3);
        assert_eq!(
            out,
            b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n\r\n4,d\r\n".to_vec()
        );
        let (out, deleted) = delete_records(csv, 4, 0);
        assert_eq!(deleted, 2);
        assert_eq!(
            out,
            b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n".to_vec()
        );
        let (out, deleted) = delete_records(csv, 100, 0);
        assert_eq!(
            (deleted, out.as_slice()),
            (
                1,
                &b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n5,e"[..]
            )
        );
        // Lone CRs end lines too.
        let mac = b"id,note\r1,a\r2,\"b\rc\"\r3,d\r";
        assert_eq!(delete_records(mac, 2, 0), (b"id,note\r2,\"b\rc\"\r".to_vec(), 2));
        // A header alone loses nothing.
        assert_eq!(delete_records(b"id,note\n", 1, 0), (b"id,note\n".to_vec(), 0));
    }
}
