//! The shrink guard: a run that would publish markedly less than the
//! current snapshot (a file cut short, an empty inbox, a partner's table
//! that vanished or fell by more than `[publish] max_shrink`) is held back,
//! exit 7, unless the operator accepts it with `--accept-shrink`.

use std::collections::BTreeMap;

use super::manifest::{Manifest, PartnerEntry};
use crate::ingest::FileReport;

/// Why this run must not replace the current snapshot: a file that ends
/// mid-row, no rows at all where the current snapshot has some, a partner
/// (still configured) whose rows of a table vanish, or fall by more than
/// `max_shrink` from at least 10. Empty when it may publish.
pub fn held_back_reasons(
    published: Option<&Manifest>,
    partners: &BTreeMap<String, PartnerEntry>,
    max_shrink: f64,
) -> Vec<String> {
    let mut reasons: Vec<String> = partners
        .values()
        .flat_map(|p| &p.files)
        .filter(|f| f.cut_short)
        .map(|f| {
            format!(
                "{} ({}) ends in the middle of a row: it looks cut short, like an upload that did not finish",
                f.file, f.partner_id
            )
        })
        .collect();
    let Some(current) = published else {
        return reasons;
    };
    let kept = |files: &[FileReport]| {
        let mut by_table: BTreeMap<String, usize> = BTreeMap::new();
        for t in files.iter().flat_map(|f| &f.tables) {
            *by_table.entry(t.table.clone()).or_default() += t.kept;
        }
        by_table
    };
    let rows = |p: &PartnerEntry| kept(&p.files).values().sum::<usize>();
    let before: usize = current.partners.values().map(rows).sum();
    let after: usize = partners.values().map(rows).sum();
    if after == 0 && before > 0 {
        reasons.push(format!(
            "no rows at all, where the current snapshot has {before}: is the inbox empty, or a share not mounted?"
        ));
        return reasons;
    }
    for (pid, now) in partners {
        let Some(then) = current.partners.get(pid) else {
            continue;
        };
        let now = kept(&now.files);
        for (table, b) in kept(&then.files) {
            let a = now.get(&table).copied().unwrap_or(0);
            if b > 0 && a == 0 {
                reasons.push(format!(
                    "partner `{pid}`: no `{table}` rows, where the current snapshot has {b}"
                ));
            } else if b >= 10 && (a as f64) < b as f64 * (1.0 - max_shrink) {
                reasons.push(format!(
                    "partner `{pid}`: `{table}` rows fell from {b} to {a} (-{:.0}%), more than `[publish] max_shrink` = {max_shrink}",
                    100.0 * (b - a) as f64 / b as f64
                ));
            }
        }
    }
    reasons
}
