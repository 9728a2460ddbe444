//! `tafteesh files`: which inbox file an alias stands for.

use crate::aliases::FileAliases;
use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::privacy::Pseudonymizer;

/// Show the real name behind each alias files are published under.
///
/// Every published output, log line, message and ledger line names an
/// inbox file by its alias, `<partner>/file-<hash>.<ext>`, never by its
/// name (a file's name may be a survivor's). This command is for the data
/// officer and the operator: it lists every entry of the inbox now, with
/// its alias, whether a pipeline claims it, and its real name; given
/// aliases, only those (an alias the inbox no longer holds is looked up in
/// the current snapshot's restricted `file_names.csv`). It reads the key
/// and lists the inbox; it opens no export and writes nothing. Its output
/// holds real file names: do not forward it.
///
/// Examples:
///   tafteesh files --config /srv/tafteesh
///   tafteesh files --config /srv/tafteesh canning_shakti/file-3f9a21c4d0.xlsx
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,

    /// The pseudonymisation key in hex, as `run` takes it.
    #[arg(long, env = "TAFTEESH_KEY", hide_env_values = true)]
    pub key: Option<String>,

    /// Print one JSON array of {published_as, status, file} instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Aliases to look up (all entries when none is given).
    pub aliases: Vec<String>,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, args.key)?;
    let pseudo = Pseudonymizer::load(plan.key.as_ref())?;
    let inbox = crate::inbox::list(&plan.inbox)?;
    let claims = crate::ingest::claim(&plan, &inbox);
    let aliases = FileAliases::new(&plan, &inbox, &crate::ingest::claim::entries(&claims), &pseudo);
    let mut rows: Vec<(String, String, String)> = aliases
        .entries()
        .map(|(real, a)| (a.published.clone(), a.status.as_str().to_string(), real.clone()))
        .collect();
    rows.sort();
    if !args.aliases.is_empty() {
        let earlier = crate::restricted::real_file_names(&plan.layout().restricted_latest());
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for wanted in &args.aliases {
            match rows.iter().find(|r| &r.0 == wanted) {
                Some(r) => found.push(r.clone()),
                None => match earlier.get(wanted) {
                    Some(real) => found.push((wanted.clone(), "no longer in the inbox".into(), real.clone())),
                    None => missing.push(wanted.clone()),
                },
            }
        }
        print_rows(&found, args.json);
        if !missing.is_empty() {
            return Err(Error::Usage(format!(
                "no inbox entry, now or in the current snapshot, is published as: {} (an alias made with another key?)",
                missing.join(", ")
            )));
        }
        return Ok(Exit::Success);
    }
    print_rows(&rows, args.json);
    Ok(Exit::Success)
}

fn print_rows(rows: &[(String, String, String)], json: bool) {
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(alias, status, real)| serde_json::json!({ "published_as": alias, "status": status, "file": real }))
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return;
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(12);
    println!("{:<width$}  {:<22}  file", "published as", "status");
    for (alias, status, real) in rows {
        println!("{alias:<width$}  {status:<22}  {}", crate::error::printable(real));
    }
}
