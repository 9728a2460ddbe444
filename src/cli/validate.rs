//! `tafteesh validate`: check configs, schemas and SQL without reading data.

use std::path::PathBuf;

use crate::config::Plan;
use crate::error::{Exit, Result};
use crate::warehouse::Project;

/// Check tafteesh.toml, every partner pipeline, the schemas and the SQL
/// models, and report every problem found. Reads no partner data.
///
/// Examples:
///   tafteesh validate --config /srv/tafteesh
#[derive(Debug, clap::Args)]
pub struct Args {
    /// tafteesh.toml, or the folder that holds it.
    #[arg(long, short)]
    pub config: PathBuf,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config, None)?;
    let project = Project::load()?;
    println!(
        "ok: {} partner pipelines, {} canonical tables, {} SQL models ({} indicators)",
        plan.pipelines.len(),
        plan.model.schemas.len(),
        project.models.len(),
        project.indicators().count()
    );
    for (path, p) in &plan.pipelines {
        println!(
            "  {} ({} source(s)) from {}",
            p.partner_id,
            p.sources.len(),
            path.display()
        );
    }
    if plan.key.is_none() {
        println!("  note: no key configured; `run` needs TAFTEESH_KEY or key_file");
    }
    Ok(Exit::Success)
}
