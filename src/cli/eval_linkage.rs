//! `tafteesh eval-linkage`: score the current snapshot's linkage against a truth file.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::link::eval;

/// Score record linkage against a ground truth.
///
/// Reads the bridge from source records to linked entities in the current
/// snapshot (lake/link_survivors, link_cases or link_claims) and a truth
/// CSV with columns partner_id, true_ref (the partner's own id, as the
/// export writes it: the bridge's pseudonym of it is made with the key) and the
/// true entity id (person_id, case_id or claim_id), such as the demo
/// generator's truth files. Prints pairwise precision, recall and F1 and
/// the B-cubed scores, over the records present in both.
///
/// Examples:
///   tafteesh eval-linkage --config tafteesh-demo/config --truth tafteesh-demo/truth/survivors.csv
///   tafteesh eval-linkage --config tafteesh-demo/config --entity cases --truth tafteesh-demo/truth/cases.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
    /// The truth CSV (partner_id, true_ref, and person_id, case_id or claim_id).
    #[arg(long)]
    pub truth: PathBuf,
    /// Which linkage to score.
    #[arg(long, value_enum, default_value_t = Entity::Survivors)]
    pub entity: Entity,
    /// Print the scores as JSON.
    #[arg(long)]
    pub json: bool,
    /// The pseudonymisation key in hex, as `run` takes it (the bridge names
    /// records by their ids' pseudonyms).
    #[arg(long, env = "TAFTEESH_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Entity {
    Survivors,
    Cases,
    Claims,
}

impl Entity {
    /// The bridge table, its own-id and key columns, and the truth's id column.
    fn columns(self) -> [&'static str; 4] {
        match self {
            Entity::Survivors => ["link_survivors", "survivor_ref", "person_key", "person_id"],
            Entity::Cases => ["link_cases", "case_ref", "case_key", "case_id"],
            Entity::Claims => ["link_claims", "claim_ref", "claim_key", "claim_id"],
        }
    }
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, args.key)?;
    // The bridge names records by the pseudonyms of their ids; the truth
    // by the ids themselves.
    let pseudo = crate::privacy::Pseudonymizer::load(plan.key.as_ref())?;
    let [table, ref_col, key_col, truth_col] = args.entity.columns();
    let bridge_path = crate::lake::consortium(&plan.layout().current_snapshot().full_lake(), table);
    if !bridge_path.exists() {
        return Err(Error::Usage(format!(
            "{} does not exist: run the job first",
            bridge_path.display()
        )));
    }
    let bridge = crate::lake::read(&bridge_path)?;
    let col = |name: &str| crate::lake::strings(&bridge, name);
    let (partners, refs, keys) = (col("partner_id"), col(ref_col), col(key_col));
    let predicted: HashMap<(String, String), String> = partners
        .into_iter()
        .zip(refs)
        .zip(keys)
        .filter_map(|((p, r), k)| Some(((p?, r?), k?)))
        .collect();

    let mut rdr =
        csv::Reader::from_path(&args.truth).map_err(|e| Error::Usage(format!("{}: {e}", args.truth.display())))?;
    let headers = rdr
        .headers()
        .map_err(|e| Error::Usage(format!("{}: {e}", args.truth.display())))?
        .clone();
    let idx = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Usage(format!("{}: no `{name}` column", args.truth.display())))
    };
    let (ip, ir, iperson) = (idx("partner_id")?, idx("true_ref")?, idx(truth_col)?);
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut missing = 0usize;
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::Usage(format!("{} row {}: {e}", args.truth.display(), n + 2)))?;
        let key = (rec[ip].to_string(), pseudo.reference(&rec[ip], &rec[ir]));
        match predicted.get(&key) {
            Some(k) => labels.push((k.clone(), rec[iperson].to_string())),
            None => missing += 1,
        }
    }
    let s = eval::score(&labels);
    if args.json {
        println!("{}", serde_json::to_string(&s).expect("serialisable"));
    } else {
        println!(
            "records scored: {} ({} truth rows not in the bridge: quarantined, or not {table})",
            s.records,
            missing,
            table = table.trim_start_matches("link_")
        );
        println!(
            "pairs: {} true, {} predicted, {} correct",
            s.true_pairs, s.predicted_pairs, s.correct_pairs
        );
        println!(
            "pairwise: precision {:.4}  recall {:.4}  F1 {:.4}",
            s.pairwise_precision, s.pairwise_recall, s.pairwise_f1
        );
        println!(
            "B-cubed:  precision {:.4}  recall {:.4}  F1 {:.4}",
            s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
        );
    }
    Ok(Exit::Success)
}
