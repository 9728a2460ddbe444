//! `tafteesh bench`: time the whole run on N synthetic survivors.

use super::say;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::ingest::FileReport;
use crate::metrics::StageMetric;
use crate::run::{self, RunOptions};

/// Time the whole run, per stage, on N synthetic survivors.
///
/// Generates N synthetic survivors (unless the folder already holds them),
/// runs the whole job on them (forced, as a first run), and reports wall
/// time and peak memory per stage. Then it times the nightly cases: a run
/// with nothing changed (a no-op), and a run after one partner's export
/// changed: one record in a hundred deleted from it, as a partner's MIS
/// drops submissions between exports (restored afterwards).
/// The generation itself is timed apart and not part of any run.
///
/// Beside each it measures the floor: every claimed file read as text and
/// written to Parquet with polars alone (scripts/bench_floor.py, a copy of
/// the programme's shared floor script; needs `pip install polars
/// fastexcel`), on the whole inbox and on the changed partner's files,
/// alternating with the runs, and prints the ratios the performance goals
/// are stated in.
///
/// Examples:
///   tafteesh bench --survivors 100000
///   tafteesh bench --survivors 1000000 --dir /tmp/bench-1m --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// How many people the fictional world holds.
    #[arg(long, default_value_t = 100_000)]
    pub survivors: usize,
    /// Seed for the generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Working folder (default: a folder in the system temp dir named after N and the seed).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Regenerate the data even when the folder holds it.
    #[arg(long)]
    pub regenerate: bool,
    /// Print the figures as JSON too.
    #[arg(long)]
    pub json: bool,
    /// The Python that runs the floor (it needs polars and fastexcel).
    #[arg(long, env = "TAFTEESH_FLOOR_PYTHON", default_value = "python3")]
    pub floor_python: PathBuf,
    /// Measure the floor with this script instead of the built-in copy
    /// (e.g. ../shared/bench/floor.py).
    #[arg(long)]
    pub floor_script: Option<PathBuf>,
    /// Do not measure the floor.
    #[arg(long)]
    pub no_floor: bool,
}

pub fn run(args: Args) -> Result<Exit> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("tafteesh-bench-{}-{}", args.survivors, args.seed)));
    let marker = dir.join("truth/survivors.csv");
    let synth_secs = if args.regenerate || !marker.exists() {
        // In a child process, so the generator's memory does not count in the run's peak.
        let t = Instant::now();
        let exe = std::env::current_exe().map_err(Error::io("current executable"))?;
        let status = std::process::Command::new(&exe)
            .arg("synth")
            .args([
                "--survivors",
                &args.survivors.to_string(),
                "--seed",
                &args.seed.to_string(),
            ])
            .arg("--out")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(Error::io(&exe))?;
        if !status.success() {
            return Err(Error::Internal(format!("generating the bench data failed ({status})")));
        }
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    let config = super::demo::set_up(&dir)?;
    let plan = Plan::resolve(&config, None)?;
    // The full run rebuilds everything and trains the linkage model.
    let opts = |force| RunOptions {
        now: chrono::Utc::now(),
        fail_after: None,
        force,
        retrain: force,
        accept_shrink: true,
    };
    let floor = (!args.no_floor).then(|| Floor::new(&args, &dir));
    let mut whole_floor = Vec::new();
    let mut partner_floor = Vec::new();
    let measure = |into: &mut Vec<f64>, cfg: &Path| {
        if let Some(secs) = floor.as_ref().and_then(|f| f.measure(cfg)) {
            into.push(secs);
        }
    };
    // The warehouse loads every published run's figures: a bench folder
    // used before carries more of them, so its warehouse stage is longer.
    let history_runs = crate::warehouse::history::run_files(&plan.layout().history())
        .map(|files| files.len())
        .unwrap_or(0);
    // Floor and run alternate, so a busy moment of the machine falls on both.
    measure(&mut whole_floor, &config);
    let t = Instant::now();
    let run::RunOutcome::Published(s) = run::run(&plan, opts(true))? else {
        return Err(Error::Internal("a forced run always publishes".into()));
    };
    let wall = t.elapsed().as_secs_f64();
    measure(&mut whole_floor, &config);

    let t = Instant::now();
    let noop = run::run(&plan, opts(false))?;
    let noop_secs = t.elapsed().as_secs_f64();
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
    let night = time_one_partner_changed(&plan, changed.and_then(|f| Some((f, real_path(f)?))), opts(false))?;
    let (incremental_secs, changed_partner) = (night.seconds, night.partner.clone());
    let split = night.split();
    if let Some(cfg) = &partner_config {
        measure(&mut partner_floor, cfg);
        measure(&mut partner_floor, cfg);
    }
    measure(&mut whole_floor, &config);
    let input_bytes: u64 = s
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(real_path(f)?).ok())
        .map(|m| m.len())
        .sum();
    say!(
        "bench: {} survivors, {} input rows, {:.1} MiB of exports",
        args.survivors,
        s.rows_read,
        input_bytes as f64 / 1048576.0
    );
    if let Some(secs) = synth_secs {
        say!("  (generating the data took {secs:.1}s, not counted)");
    }
    say!("  {:<24} {:>9} {:>11} {:>12}", "stage", "seconds", "peak MiB", "rows");
    for m in &s.stages {
        say!(
            "  {:<24} {:>9.2} {:>11.0} {:>12}",
            m.stage,
            m.seconds,
            m.peak_mib,
            m.rows
        );
    }
    let peak = s.stages.iter().map(|m| m.peak_mib).fold(0.0, f64::max);
    say!("  {:<24} {:>9.2} {:>11.0}", "whole run", wall, peak);
    say!("  the warehouse loaded the indicator history of {history_runs} earlier run(s) from this folder");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if let Some(clean) = s.stages.iter().find(|m| m.stage.starts_with("extract")) {
        say!(
            "  extract+stage+clean: {:.0} rows/s ({cores} cores available)",
            s.rows_read as f64 / clean.seconds.max(1e-9),
        );
    }
    let t = s.ingest_times;
    say!(
        "  summed over partners: reading files {:.1}s; cleaning them {:.1}s, {:.1}s CPU ({:.0} rows/s per core); cleaning / reading = {:.2}",
        t.read,
        t.clean,
        t.clean_cpu,
        s.rows_read as f64 / t.clean_cpu.max(1e-9),
        t.clean / t.read.max(1e-9)
    );
    say!("  no-op run (nothing changed):        {noop_secs:>7.3}s");
    say!(
        "  run after one partner changed ({changed_partner}, {} of its records deleted): {incremental_secs:>7.2}s",
        night.deleted
    );
    // What the night spent beyond cleaning the changed partner: linkage's
    // passes over every record and the whole warehouse, the fixed cost.
    if !night.stages.is_empty() {
        let parts: Vec<String> = night
            .stages
            .iter()
            .map(|m| format!("{} {:.2}s", m.stage, m.seconds))
            .collect();
        say!("    its stages: {}", parts.join(", "));
    }
    if let Some(l) = &night.linkage {
        say!(
            "    its linkage: model {}, {} of {} records changed, {} of {} pairs scored",
            l.model,
            l.records_changed.map_or_else(|| "?".to_string(), |n| n.to_string()),
            l.records,
            l.pairs_scored,
            l.pairs
        );
    }
    let whole = median(&whole_floor);
    let partner = median(&partner_floor);
    match (whole, partner) {
        (Some(whole), partner) => {
            say!(
                "  floor (polars alone, every claimed file to Parquet; median of {}): {whole:.2}s",
                whole_floor.len()
            );
            say!("    full run / floor:                     {:>6.1}x", wall / whole);
            if let Some(p) = partner {
                say!(
                    "    floor for {changed_partner}'s files (median of {}): {p:.2}s",
                    partner_floor.len()
                );
                say!(
                    "    one-partner-changed night / its floor: {:>6.1}x ({:.2}s over 1.5x its floor)",
                    incremental_secs / p,
                    incremental_secs - 1.5 * p
                );
                if let Some(split) = &split {
                    say!(
                        "    of which its own clean {:.2}s, {:.1}x its floor; the fixed cost (linkage, warehouse, reports, publishing: whichever partner changed) {:.2}s",
                        split.own,
                        split.own / p,
                        split.fixed
                    );
                }
            }
        }
        (None, _) if !args.no_floor => say!(
            "  floor not measured: `{} {}` did not run (it needs `pip install polars fastexcel`; see --floor-python)",
            args.floor_python.display(),
            args.floor_script
                .as_ref()
                .map_or_else(|| "scripts/bench_floor.py".into(), |p| p.display().to_string())
        ),
        _ => {}
    }
    if args.json {
        let out = serde_json::json!({
            "survivors": args.survivors, "rows_read": s.rows_read, "input_bytes": input_bytes,
            "wall_seconds": wall, "peak_mib": peak, "stages": s.stages, "synth_seconds": synth_secs,
            "read_seconds": t.read, "clean_seconds": t.clean, "clean_cpu_seconds": t.clean_cpu,
            "noop_seconds": noop_secs, "one_partner_changed_seconds": incremental_secs,
            "one_partner_changed_stages": night.stages,
            "one_partner_changed_deleted_records": night.deleted,
            "one_partner_changed_linkage": night.linkage,
            "changed_partner": changed_partner, "history_runs": history_runs,
            "floor_seconds": whole_floor, "partner_floor_seconds": partner_floor,
            "full_over_floor": whole.map(|f| wall / f),
            "one_partner_changed_over_its_floor": partner.map(|p| incremental_secs / p),
            "one_partner_changed_own_seconds": split.as_ref().map(|s| s.own),
            "one_partner_changed_fixed_seconds": split.as_ref().map(|s| s.fixed),
            "one_partner_changed_own_over_its_floor": split.as_ref().zip(partner).map(|(s, p)| s.own / p),
        });
        say!("{out}");
    }
    Ok(Exit::Success)
}

/// What the bench's night did: its seconds, the partner it changed, the
/// records it deleted, the night's stages and its linkage.
struct Night {
    seconds: f64,
    partner: String,
    deleted: usize,
    stages: Vec<StageMetric>,
    linkage: Option<crate::link::stage::LinkageRun>,
}

/// A night's seconds split as the goal reads them: what the changed
/// partner costs (its clean, the one stage that reads its files: it may
/// be 1.5 times their floor) and the fixed cost, the rest of the night,
/// which any partner's change costs the same (linkage's passes over
/// every record, the whole warehouse, the reports, publishing).
struct NightSplit {
    own: f64,
    fixed: f64,
}

impl Night {
    fn split(&self) -> Option<NightSplit> {
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
    let (fewer, deleted) = delete_records(&bytes, NIGHT_DELETES_ONE_IN);
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

/// A CSV file's bytes without its first data record and every `n`th after
/// it (the header kept; so a short file loses one), and how many it left
/// out. Records end at a line break (LF, CRLF or a lone CR) outside
/// quotes, so a quoted cell holding line breaks stays whole; `""` inside
/// quotes is an escaped quote.
fn delete_records(bytes: &[u8], n: usize) -> (Vec<u8>, usize) {
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
                if record > 0 && !blank && (record - 1) % n == 0 {
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
    if record > 0 && (record - 1) % n == 0 && !rest.iter().all(|c| c.is_ascii_whitespace()) {
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
const FLOOR_SCRIPT: &str = include_str!("../../scripts/bench_floor.py");

impl Floor {
    fn new(args: &Args, dir: &Path) -> Floor {
        let scratch = dir.join("floor");
        let script = args.floor_script.clone().unwrap_or_else(|| {
            let path = scratch.join("bench_floor.py");
            if let Err(e) = std::fs::create_dir_all(&scratch).and_then(|()| std::fs::write(&path, FLOOR_SCRIPT)) {
                tracing::warn!("cannot write the floor script to {}: {e}", path.display());
            }
            path
        });
        Floor {
            python: args.floor_python.clone(),
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
    use super::delete_records;

    #[test]
    fn every_nth_record_goes_and_quoted_line_breaks_stay_whole() {
        // Five records after the header; the second holds a quoted line
        // break and an escaped quote, the fourth a blank line before it.
        let csv = b"id,note\r\n1,a\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n5,e";
        let (out, deleted) = delete_records(csv, 2);
        assert_eq!(deleted, 3);
        assert_eq!(
            out,
            b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n\r\n4,d\r\n".to_vec()
        );
        let (out, deleted) = delete_records(csv, 4);
        assert_eq!(deleted, 2);
        assert_eq!(
            out,
            b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n".to_vec()
        );
        let (out, deleted) = delete_records(csv, 100);
        assert_eq!(
            (deleted, out.as_slice()),
            (
                1,
                &b"id,note\r\n2,\"two\nlines, \"\"quoted\"\"\"\r\n3,c\r\n\r\n4,d\r\n5,e"[..]
            )
        );
        // Lone CRs end lines too.
        let mac = b"id,note\r1,a\r2,\"b\rc\"\r3,d\r";
        assert_eq!(delete_records(mac, 2), (b"id,note\r2,\"b\rc\"\r".to_vec(), 2));
        // A header alone loses nothing.
        assert_eq!(delete_records(b"id,note\n", 1), (b"id,note\n".to_vec(), 0));
    }
}
