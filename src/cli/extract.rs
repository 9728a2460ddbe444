//! `tafteesh extract`: a de-identified extract of the current snapshot for
//! one study.

use super::say;
use crate::config::Plan;
use crate::error::{Exit, Result};
use crate::study::spec::Spec;

/// Write a de-identified research extract of the current snapshot.
///
/// Reads a study's spec (which fields, which are quasi-identifiers and how
/// they are generalised, k, l, a seed) and writes, under
/// output/extracts/<study>/<snapshot>/, one Parquet and one CSV file per
/// table, a codebook and extract.json: the snapshot it came from, the
/// generalisation chosen, the records suppressed and the re-identification
/// risk before and after. Every combination of quasi-identifiers released
/// is shared by at least k records; ids are new study ids that join to
/// nothing else. The same snapshot, spec and seed give the same files.
/// Reads the warehouse only (never the restricted area) and changes
/// nothing in the snapshot. A relative --spec is looked for in the working
/// folder, then beside tafteesh.toml, then among the shipped specs
/// (ahtu_engagement).
///
/// Examples:
///   tafteesh extract --config /srv/tafteesh --spec ahtu_engagement
///   tafteesh extract --config /srv/tafteesh --spec extracts/my_study.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
    /// The study's spec (TOML), or the name of a shipped one.
    #[arg(long)]
    pub spec: std::path::PathBuf,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    let config_dir = plan.config_file.parent().unwrap_or(std::path::Path::new("."));
    let (spec, path, bytes) = Spec::find(&args.spec, config_dir)?;
    let started = std::time::Instant::now();
    let s = crate::study::extract(
        &plan.layout(),
        &plan.model.reference.district_rows(),
        &spec,
        &path,
        &bytes,
    )?;
    say!(
        "extract `{}` of snapshot {} written to {} in {:.1}s",
        s.study,
        s.snapshot,
        s.folder.display(),
        started.elapsed().as_secs_f64()
    );
    for t in &s.tables {
        let levels: Vec<String> = t.quasi_identifiers.iter().map(|(q, l)| format!("{q}: {l}")).collect();
        say!(
            "  {}: {} of {} records released, {} suppressed (k = {}, l = {}); {}",
            t.name,
            t.records_out,
            t.records_in,
            t.suppressed_for_k + t.suppressed_for_l,
            s.k,
            t.l,
            levels.join("; ")
        );
        say!(
            "    risk: highest {:.3}, average {:.3}, {} records above {} (at the finest levels: highest {:.3}, {} at risk)",
            t.risk_after.highest,
            t.risk_after.average,
            t.risk_after.records_at_risk,
            s.risk_threshold,
            t.risk_before.highest,
            t.risk_before.records_at_risk
        );
    }
    Ok(Exit::Success)
}
