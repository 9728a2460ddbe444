//! `tafteesh link --explain`: what record linkage does with the current data.

use crate::config::Plan;
use crate::error::{Error, Exit, Result};
use crate::link::fields::COMPARISONS;
use crate::link::model::weight_to_probability;
use crate::link::{Settings, link};
use crate::privacy::Pseudonymizer;

/// Explain record linkage on the current snapshot.
///
/// Re-runs linkage on the current snapshot's survivors (reading their
/// identifiers from the restricted area, in memory only) and prints, for
/// the current settings: the pairs each blocking
/// rule creates, the estimated m and u per comparison level with the match
/// weight each level adds (m as used: raised where a better level would
/// otherwise count for less than a worse one), and the distribution of match weights over the
/// compared pairs. The settings are `linkage.toml` beside tafteesh.toml
/// when there is one, else the compiled-in schemas/linkage/settings.toml.
/// Saves the trained model as JSON (default: beside the
/// linkage inputs in the restricted area). Changes nothing in the snapshot.
///
/// Examples:
///   tafteesh link --config /srv/tafteesh --explain
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub config: super::ConfigArg,
    /// Print the blocking, model and weight tables (the only mode so far).
    #[arg(long)]
    pub explain: bool,
    /// Where to save the trained model.
    #[arg(long)]
    pub save: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> Result<Exit> {
    let plan = Plan::resolve(&args.config.path, None)?;
    // The key is checked so a misconfigured machine fails here as in `run`.
    Pseudonymizer::load(plan.key.as_ref())?;
    let layout = plan.layout();
    let lake = layout.current_snapshot().lake();
    let restricted = layout.restricted_latest();
    if !lake.is_dir() || !restricted.path().is_dir() {
        return Err(Error::Usage(format!(
            "no current snapshot under {}: run the job first",
            plan.output.display()
        )));
    }
    let settings: Settings = plan.linkage.clone();
    let (_, people) = crate::link::stage::load(&lake, &restricted)?;
    let started = std::time::Instant::now();
    let linked = link(&people, &settings);
    let secs = started.elapsed().as_secs_f64();

    let clusters: std::collections::HashSet<u32> = linked.cluster.iter().copied().collect();
    println!(
        "{} survivor records -> {} people ({:.1}s)",
        people.len(),
        clusters.len(),
        secs
    );
    println!(
        "\nblocking rules (pairs each adds that earlier rules did not; blocks over {} skipped):",
        settings.max_block
    );
    for ((rule, n), (_, skipped)) in linked
        .blocking
        .new_pairs_by_rule
        .iter()
        .zip(&linked.blocking.skipped_blocks_by_rule)
    {
        println!("  {rule:<32} {n:>12} pairs   {skipped} blocks skipped");
    }
    println!("  {:<32} {:>12} pairs compared", "total", linked.blocking.pairs);

    let m = &linked.model;
    println!(
        "\nmodel: prior (two random records match) {:.3e}, u from {} random pairs, EM {} iterations",
        m.lambda, m.u_sample_pairs, m.em_iterations
    );
    println!(
        "  {:<12} {:<44} {:>10} {:>10} {:>8}",
        "comparison", "level", "m", "u", "weight"
    );
    for (c, comparison) in COMPARISONS.iter().enumerate() {
        let name = &comparison.name;
        for (l, label) in comparison.levels.iter().enumerate() {
            let (mm, uu) = (m.m[c][l], m.u[c][l]);
            println!(
                "  {:<12} {:<44} {:>10.4} {:>10.6} {:>8.2}",
                if l == 0 { name } else { &"" },
                label,
                mm,
                uu,
                (mm.max(1e-6) / uu.max(1e-6)).log2()
            );
        }
    }

    println!(
        "\nmatch weights of compared pairs (link at probability >= {}, i.e. weight >= {:.1}):",
        settings.link_probability,
        (settings.link_probability / (1.0 - settings.link_probability)).log2()
    );
    let edges = [-30.0, -20.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0, 30.0];
    let mut counts = vec![0usize; edges.len() + 1];
    for w in &linked.weights {
        counts[edges.iter().filter(|e| w >= *e).count()] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    for (i, n) in counts.iter().enumerate() {
        let label = match i {
            0 => format!("< {}", edges[0]),
            i if i == edges.len() => format!(">= {}", edges[i - 1]),
            i => format!("{} .. {}", edges[i - 1], edges[i]),
        };
        println!("  {label:>12} {n:>10} {}", "#".repeat(n * 40 / max));
    }
    let linked_pairs = linked
        .weights
        .iter()
        .filter(|w| weight_to_probability(**w) >= settings.link_probability)
        .count();
    println!("  {linked_pairs} pairs at or above the link threshold");

    let path = match args.save {
        Some(p) => p,
        None => crate::restricted::linkage_model(&restricted, true)?,
    };
    crate::link::stage::save_model(&path, &settings, &linked)?;
    println!("\nmodel saved to {}", path.display());
    Ok(Exit::Success)
}
