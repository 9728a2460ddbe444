//! `tafteesh status`: what an operator checks in the morning.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Plan;
use crate::config::access::Tier;
use crate::error::{Exit, Result};
use crate::run::ledger::{self, LedgerEntry};
use crate::run::manifest::Manifest;

/// Show the last runs, the current snapshot and each partner's freshness.
///
/// Reads the run ledger (`output/ledger.jsonl`), the current snapshot's
/// manifest, and the inbox's file times (not their contents); writes
/// nothing. Export ages are those of the files in the inbox now, whether
/// or not a run has read them yet; record ages are from the current snapshot. A partner is flagged
/// STALE when its newest export is older than `[freshness]
/// stale_after_days` in tafteesh.toml (default 45), and MISSING when no
/// inbox file matches one of its sources.
///
/// Examples:
///   tafteesh status --config /srv/tafteesh
///   tafteesh status --config /srv/tafteesh --runs 30 --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
    /// How many of the latest runs to show.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// One partner's freshness.
#[derive(Debug, serde::Serialize)]
pub struct PartnerFreshness {
    pub partner_id: String,
    pub files: usize,
    pub newest_export: Option<DateTime<Utc>>,
    pub export_age_days: Option<i64>,
    /// The newest date in the partner's records that is not in the future.
    pub newest_record: Option<NaiveDate>,
    pub record_age_days: Option<i64>,
    /// Some source matched no inbox file.
    pub missing_export: bool,
    pub stale: bool,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    let now = Utc::now();
    let layout = plan.layout();
    let runs = ledger::read(&layout)?;
    let current = layout.current_id();
    let manifest = current.as_deref().and_then(|id| Manifest::read(&layout.snapshot(id)));
    // The current snapshot checked as a night checks it before keeping it.
    let problem = current
        .as_deref()
        .and_then(|id| crate::run::snapshots::check_whole(&layout, id).err());
    let stale_after = i64::from(plan.freshness.stale_after_days);
    let inbox = crate::inbox::list(&plan.inbox)?;
    let claims = crate::ingest::claim(&plan, &inbox);
    let modified = |file: &str| -> Option<DateTime<Utc>> {
        std::fs::metadata(plan.inbox.join(file))
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from)
    };
    let partners: Vec<PartnerFreshness> = plan
        .pipelines
        .iter()
        .map(|(_, p)| {
            let entry = manifest.as_ref().and_then(|m| m.partners.get(&p.partner_id));
            let claimed = claims.by_partner.get(&p.partner_id).map(Vec::as_slice).unwrap_or(&[]);
            let newest_export = claimed.iter().filter_map(|c| modified(&c.file)).max();
            let newest_record = entry.and_then(|e| e.window.max_past);
            let export_age_days = newest_export.map(|t| (now - t).num_days());
            let mut files: Vec<&str> = claimed.iter().map(|c| c.file.as_str()).collect();
            files.dedup();
            let missing_export = (0..p.sources.len()).any(|i| !claimed.iter().any(|c| c.source_index == i));
            PartnerFreshness {
                partner_id: p.partner_id.clone(),
                files: files.len(),
                newest_export,
                export_age_days,
                newest_record,
                record_age_days: newest_record.map(|d| (now.date_naive() - d).num_days()),
                missing_export,
                stale: export_age_days.is_none_or(|a| a > stale_after),
            }
        })
        .collect();
    let latest: Vec<&LedgerEntry> = runs.iter().rev().take(args.runs).collect();
    let running = crate::run::lock::holder(&layout);

    if args.json {
        let out = serde_json::json!({
            "current_snapshot": current,
            "current_snapshot_problem": problem,
            "running": running,
            "stale_after_days": stale_after,
            "runs": latest,
            "partners": partners,
            "access": access(&plan),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(Exit::Success);
    }

    match (
        &current,
        runs.iter().rev().find(|r| Some(&r.run_id) == current.as_ref()),
    ) {
        (Some(id), Some(r)) => println!(
            "current snapshot: {id} (published {}, exit {}: {})",
            r.finished_at.format("%Y-%m-%d %H:%M UTC"),
            r.exit_code,
            describe(r.exit_code)
        ),
        (Some(id), None) => println!("current snapshot: {id}"),
        (None, _) => println!("no snapshot published yet in {}", plan.output.display()),
    }
    if let Some(why) = &problem {
        println!("  BROKEN: {why}; the next run rebuilds it from the inbox (or `tafteesh rollback` to a whole one)");
    }
    match &running {
        Some(who) => println!("a run is going now: {who}"),
        None => println!("no run is going now"),
    }
    println!("\nwho can read what (`[access]` in tafteesh.toml):");
    for (tier, readers) in access(&plan) {
        println!("  {tier:<34} {readers}");
    }
    println!("\nlast runs, newest first (ledger: {}):", layout.ledger().display());
    if latest.is_empty() {
        println!("  none yet");
    } else {
        println!(
            "  {:<21} {:<12} {:>4}  {:<19} {:>8} {:>10}  note",
            "run", "status", "exit", "started (UTC)", "seconds", "rows read"
        );
    }
    for r in &latest {
        let seconds = (r.finished_at - r.started_at).num_milliseconds() as f64 / 1000.0;
        let note = match (&r.error, r.recomputed.is_empty()) {
            (Some(e), _) => e.lines().next().unwrap_or_default().to_string(),
            (None, false) if !r.reused.is_empty() => format!("cleaned again: {}", r.recomputed.join(", ")),
            _ => String::new(),
        };
        println!(
            "  {:<21} {:<12} {:>4}  {:<19} {:>8.2} {:>10}  {}",
            r.run_id,
            r.status.as_str(),
            r.exit_code,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            seconds,
            r.rows_read,
            note
        );
    }
    println!("\npartners (STALE when the newest export is older than {stale_after} days):");
    println!(
        "  {:<24} {:>5}  {:<24} {:<24} status",
        "partner", "files", "newest export (age)", "newest record (age)"
    );
    for p in &partners {
        let export = p
            .newest_export
            .map(|t| format!("{} ({}d)", t.format("%Y-%m-%d"), p.export_age_days.unwrap_or(0)))
            .unwrap_or_else(|| "-".into());
        let record = p
            .newest_record
            .map(|d| format!("{d} ({}d)", p.record_age_days.unwrap_or(0)))
            .unwrap_or_else(|| "-".into());
        let mut status = Vec::new();
        if p.stale {
            status.push("STALE");
        }
        if p.missing_export {
            status.push("MISSING EXPORT");
        }
        println!(
            "  {:<24} {:>5}  {:<24} {:<24} {}",
            p.partner_id,
            p.files,
            export,
            record,
            if status.is_empty() {
                "ok".to_string()
            } else {
                status.join(", ")
            }
        );
    }
    Ok(Exit::Success)
}

/// Each tier of the output and who may read it.
fn access(plan: &Plan) -> Vec<(&'static str, String)> {
    vec![
        ("reports/ (suppressed figures)", plan.access.reports.readers()),
        ("research/, history/ (microdata)", plan.access.research.readers()),
        ("lake/ (references, tokens)", Tier::OWNER.readers()),
        ("restricted/ (plaintext)", "the job's user only".to_string()),
        (
            "extracts/ (de-identified extracts)",
            folder_readers(&plan.layout().output().join("extracts")),
        ),
    ]
}

/// Who may read a folder, from its mode.
fn folder_readers(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(dir).map(|m| m.permissions().mode()) {
        Ok(m) if m & 0o005 == 0o005 => "every user of this machine (its folder's mode)".into(),
        Ok(m) if m & 0o050 == 0o050 => "its folder's group".into(),
        Ok(_) => "the job's user only".into(),
        Err(_) => "none written yet".into(),
    }
}

fn describe(code: u8) -> &'static str {
    match Exit::from_code(code) {
        Some(Exit::Success) => "success",
        Some(Exit::DataQualityWarnings) => "data-quality warnings",
        Some(Exit::Partial) => "partial: some files could not be used",
        Some(Exit::Locked) => "locked",
        Some(Exit::Config) => "config error",
        Some(Exit::Usage) => "usage error",
        Some(Exit::HeldBack) => "held back: it would have published markedly less",
        Some(Exit::ClockBehind) => "held back: the clock read earlier than the last run or the newest export",
        Some(Exit::Stopped) => "stopped by a signal",
        _ => "failure",
    }
}
