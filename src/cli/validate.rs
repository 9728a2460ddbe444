//! `tafteesh validate`: check configs, schemas and SQL without reading data.

use crate::config::Plan;
use crate::error::{Exit, Result};
use crate::warehouse::Project;

/// Check the configuration without reading any partner data.
///
/// Checks tafteesh.toml, every partner pipeline, the schemas and the SQL
/// models, and reports every problem found.
///
/// Examples:
///   tafteesh validate --config /srv/tafteesh
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
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
