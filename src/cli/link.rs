//! `tafteesh link`: what record linkage does with the current data.

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::link::explain::Explained;
use crate::privacy::Pseudonymizer;
use tafteesh_linkage::{Settings, block, link};

/// Explain record linkage on the current snapshot.
///
/// Reads the current snapshot's survivors (their identifiers from the
/// restricted area, in memory only) and, for the current settings, prints
/// what the blocking rules make: per rule, the pairs it makes, those no
/// earlier rule made, the blocks skipped for size and the share of records
/// it gives at least one candidate, with a warning when the rules leave
/// most records without one. With --explain it then trains the model and
/// links, and prints m and u per comparison level with the pairs each was
/// estimated from (a comparison whose m was never trained is marked), the
/// weight each level adds, the distribution of match weights and the
/// cluster sizes, and saves the trained model as JSON (default: beside the
/// linkage inputs in the restricted area). The same account, with the
/// waterfall of pairs near the threshold, is in every run's
/// reports/linkage.html. The settings are `linkage.toml` beside
/// tafteesh.toml (its missing keys from the shipped settings), else
/// schemas/linkage/settings.toml. Changes nothing in the snapshot.
///
/// Examples:
///   tafteesh link --config /srv/tafteesh              # blocking only, fast
///   tafteesh link --config /srv/tafteesh --explain
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
    /// Train and link too, and print the model, weights and clusters.
    #[arg(long)]
    pub explain: bool,
    /// Where to save the trained model (with --explain).
    #[arg(long)]
    pub save: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    // The key is checked so a misconfigured machine fails here as in `run`.
    let pseudo = Pseudonymizer::load(plan.key.as_ref())?;
    let layout = plan.layout();
    let lake = layout.current_snapshot().full_lake();
    let restricted = layout.restricted_latest();
    if !lake.is_dir() || !restricted.path().is_dir() {
        return Err(Error::Usage(format!(
            "no current snapshot under {}: run the job first",
            plan.output.display()
        )));
    }
    let settings: Settings = plan.linkage.clone();
    let from = crate::link::entities::Source {
        lake: &lake,
        restricted: &restricted,
    };
    let case_of = crate::link::cases::CaseRecords::read(&from)?.of_survivors(&pseudo);
    let people = crate::link::stage::load(&lake, &restricted, &case_of)?.people;
    if !args.explain {
        let (_, _, report) = block(&people, &settings);
        println!("{} survivor records; blocking rules:", people.len());
        print!("{}", Explained::blocking_text(&report));
        return Ok(Exit::Success);
    }
    let started = std::time::Instant::now();
    let linked = link(&people, &settings);
    println!("linked in {:.2}s", started.elapsed().as_secs_f64());
    print!("{}", Explained::new(&linked, &people, &settings).text());
    let path = match args.save {
        Some(p) => p,
        None => crate::restricted::linkage_model(&restricted, true)?,
    };
    crate::link::stage::save_model(&path, &settings, &linked)?;
    println!("\nmodel saved to {}", path.display());
    Ok(Exit::Success)
}
