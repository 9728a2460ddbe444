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
        Ok(inbox) => {
            println!("ok: inbox {} ({} files)", plan.inbox.display(), inbox.files.len());
            for w in unmatched_globs(&plan, &inbox) {
                println!("warning: {w}");
            }
        }
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

/// A warning for each source whose `files` glob matches no file in the
/// inbox: a pattern that validates and then reads nothing (a partner
/// folder named in it while the files lie at the inbox's root). It names
/// the pipeline, the source and the pattern, and counts the files of its
/// extension no pattern claims, at the inbox's root and in folders: never
/// a file's or a folder's name, which may be a survivor's. Not a problem: a partner may have sent
/// nothing this week.
fn unmatched_globs(plan: &Plan, inbox: &crate::inbox::Inbox) -> Vec<String> {
    use crate::ingest::claim::glob_matcher;
    let claims = crate::ingest::claim::claim(plan, inbox);
    let mut out = Vec::new();
    for (path, p) in &plan.pipelines {
        for (i, s) in p.sources.iter().enumerate() {
            let Ok(m) = glob_matcher(&s.files) else { continue };
            if inbox.files.iter().any(|f| m.is_match(f)) {
                continue;
            }
            let ext = s.files.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
            let mut unclaimed: std::collections::BTreeMap<String, usize> = Default::default();
            for f in &claims.unclaimed {
                let (folder, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
                let same_ext = match (&ext, name.rsplit_once('.')) {
                    (Some(e), Some((_, x))) => e.contains('*') || x.eq_ignore_ascii_case(e),
                    _ => true,
                };
                if same_ext {
                    let at = if folder.is_empty() {
                        "the inbox's root".to_string()
                    } else {
                        "other folders".to_string()
                    };
                    *unclaimed.entry(at).or_default() += 1;
                }
            }
            let hint = if unclaimed.is_empty() {
                String::new()
            } else {
                let at: Vec<String> = unclaimed.iter().map(|(at, n)| format!("{n} in {at}")).collect();
                format!("; files of its kind that no pattern claims: {}", at.join(", "))
            };
            out.push(format!(
                "{}: sources[{i}] ({}): files = `{}` matches no file in the inbox{hint}",
                path.display(),
                s.name,
                s.files
            ));
        }
    }
    out
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
