//! `tafteesh validate`: check that tonight's run can start, without
//! reading data. A run that fails at 02:00 on a missing key or an inbox
//! that is not there is found here, when someone is awake to fix it.

use std::path::Path;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::privacy::Pseudonymizer;
use crate::warehouse::Project;

/// Check the configuration and the machine, without reading partner data.
///
/// Checks tafteesh.toml, every partner pipeline, the schemas and the SQL
/// models; that the pseudonymisation key is there, owner-only and usable
/// (the key `run` would use: TAFTEESH_KEY, else key_file); that the inbox
/// is a folder this user can read; and that the output folder is one this
/// user can write (or can be made). Every problem is listed; any problem
/// is exit 6.
///
/// Examples:
///   tafteesh validate --config /srv/tafteesh
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,

    /// The pseudonymisation key in hex, as `run` takes it.
    #[arg(long, env = "TAFTEESH_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, args.key)?;
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
    let mut problems = Vec::new();
    match Pseudonymizer::load(plan.key.as_ref()) {
        Ok(_) => println!("ok: the pseudonymisation key"),
        Err(e) => problems.push(e.to_string()),
    }
    // The same listing the run starts with.
    match crate::inbox::list(&plan.inbox) {
        Ok(inbox) => println!("ok: inbox {} ({} files)", plan.inbox.display(), inbox.files.len()),
        Err(e) => problems.push(e.to_string()),
    }
    match writable_output(&plan.output) {
        Ok(()) => println!("ok: output {}", plan.output.display()),
        Err(why) => problems.push(format!("output {}: {why}", plan.output.display())),
    }
    if problems.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(Error::Config {
            path: plan.config_file,
            problems,
        })
    }
}

/// Whether the run could write into `output`: an existing folder is
/// tried with a file of its own (removed at once); a missing one needs
/// its nearest existing parent to take one.
fn writable_output(output: &Path) -> std::result::Result<(), String> {
    let mut at = output;
    while !at.exists() {
        match at.parent() {
            // A relative path's first part is made in the working folder.
            Some(p) if p.as_os_str().is_empty() => at = Path::new("."),
            Some(p) => at = p,
            None => return Err("no part of the path exists".into()),
        }
    }
    if !at.is_dir() {
        return Err(format!("{} is not a folder", at.display()));
    }
    let probe = at.join(format!(".tafteesh-validate-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if at == output => Err(format!("cannot be written ({e})")),
        Err(e) => Err(format!(
            "does not exist, and {} cannot be written to make it ({e})",
            at.display()
        )),
    }
}
