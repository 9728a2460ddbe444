//! The linkage settings file (`linkage.toml` beside `tafteesh.toml`, else
//! the compiled-in `schemas/linkage/settings.toml`): what an operator may
//! say about record linkage, checked with the rest of the config. The
//! settings only describe; [`crate::link`] does the linking, and
//! `link::fields` gives each blocking field named here its key.

use serde::{Deserialize, Serialize};

/// The fields a blocking rule may name (`link::fields::BLOCK_FIELDS` reads
/// each one's key).
pub const BLOCK_FIELDS: [&str; 10] = [
    "name",
    "guardian",
    "phone",
    "dob",
    "birth_year",
    "district",
    "block",
    "village",
    "rescue_date",
    "identifier",
];

/// Linkage settings, declarative like splink's. The defaults are
/// `schemas/linkage/settings.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Each rule lists fields that must all be equal (and known) for a pair
    /// to be compared; the pairs compared are the union over the rules.
    /// Fields: name, guardian (consonant skeletons), phone, dob,
    /// birth_year, district, block, village, rescue_date.
    pub blocking: Vec<Vec<String>>,
    /// A block larger than this is skipped (and counted): such a key is too
    /// common to say anything, and would cost its size squared.
    pub max_block: usize,
    /// Pairs with a match probability at or above this are linked.
    pub link_probability: f64,
    /// Pairs compared and scored below this can never end in one cluster,
    /// whatever chain of other links joins them.
    pub cannot_link_probability: f64,
    /// Random pairs compared to estimate u.
    pub u_sample_pairs: usize,
    pub em_iterations: usize,
    /// The share of true matches the deterministic rules (same phone; same
    /// name and date of birth) are assumed to find, for the prior.
    pub deterministic_recall: f64,
}

impl Settings {
    /// Problems with the settings; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for rule in &self.blocking {
            if rule.is_empty() {
                out.push("a blocking rule lists no field".to_string());
            }
            for f in rule.iter().filter(|f| !BLOCK_FIELDS.contains(&f.as_str())) {
                out.push(format!(
                    "blocking field `{f}` is not one of: {}",
                    BLOCK_FIELDS.join(", ")
                ));
            }
        }
        if !(0.0..1.0).contains(&self.cannot_link_probability)
            || !(0.0..=1.0).contains(&self.link_probability)
            || self.cannot_link_probability >= self.link_probability
        {
            out.push("probabilities must satisfy 0 <= cannot_link_probability < link_probability <= 1".into());
        }
        out
    }
}
