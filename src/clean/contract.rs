//! The data contract beyond single values: cross-field rules declared in
//! `schemas/` (a chargesheet is not dated before its FIR, a conviction needs
//! a chargesheet, no more is disbursed than awarded...), uniqueness of a
//! partner's own ids within an export, and the per-field scorecard that
//! measures completeness, validity, consistency and uniqueness.
//!
//! Rules run on the cleaned, typed values, so "12/03/2021" and "2021-03-12"
//! compare as the same day. A finding never carries a value: only the row,
//! the field and the rule id.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Input, Issue, Severity, Values};
use crate::config::schema::{RuleCheck, RuleSeverity, RuleSpec, TableSchema};

/// Rule ids and messages declared in schemas, made `'static` once per
/// process (findings hold `&'static str`; the schemas are few and fixed).
fn registry() -> &'static Mutex<HashMap<&'static str, &'static str>> {
    static REG: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    REG.get_or_init(Default::default)
}

/// The `'static` id of a declared rule, registering its message.
fn intern(rule: &RuleSpec) -> &'static str {
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some((id, _)) = reg.get_key_value(rule.id.as_str()) {
        return id;
    }
    let id: &'static str = Box::leak(rule.id.clone().into_boxed_str());
    let msg: &'static str = Box::leak(rule.message.clone().into_boxed_str());
    reg.insert(id, msg);
    id
}

/// The message of a declared rule, if `rule` is one.
pub fn declared_message(rule: &str) -> Option<&'static str> {
    registry().lock().unwrap_or_else(|p| p.into_inner()).get(rule).copied()
}

/// Completed years from `born` to `at`.
pub fn completed_years(born: NaiveDate, at: NaiveDate) -> i64 {
    let mut years = i64::from(at.year() - born.year());
    if (at.month(), at.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years
}

fn date(v: &Values, i: usize) -> Option<NaiveDate> {
    match v {
        Values::Date(x) => x.get(i).copied().flatten(),
        _ => None,
    }
}

fn int(v: &Values, i: usize) -> Option<i64> {
    match v {
        Values::Int(x) => x.get(i).copied().flatten(),
        _ => None,
    }
}

fn flag(v: &Values, i: usize) -> Option<bool> {
    match v {
        Values::Bool(x) => x.get(i).copied().flatten(),
        _ => None,
    }
}

fn text(v: &Values, i: usize) -> Option<&str> {
    match v {
        Values::Text(x) => x.get(i).and_then(|s| s.as_deref()),
        _ => None,
    }
}

/// Check every declared rule on every row. `values[c]` holds column `c`'s
/// cleaned values, one per entry of `rows` (raw-table row indexes).
///
/// `requires` asks whether the export holds something in the fields (the
/// raw input), not whether it parsed: an unreadable outcome is a validity
/// finding on the outcome, not also a missing one.
pub(super) fn check_rules(
    schema: &TableSchema,
    inputs: &[Input<'_>],
    values: &[Values],
    rows: &[usize],
    issues: &mut Vec<Issue>,
) {
    let col = |name: &str| schema.columns.iter().position(|c| c.name == name);
    for rule in &schema.rules {
        // Validated with the schema; a rule naming a missing column is skipped, not a panic.
        let (Some(f), Some(o)) = (col(&rule.field), col(&rule.other)) else {
            continue;
        };
        let at = rule.at.as_deref().and_then(col);
        let id = intern(rule);
        let severity = match rule.severity {
            RuleSeverity::Error => Severity::Error,
            RuleSeverity::Warning => Severity::Warning,
        };
        let (fv, ov) = (&values[f], &values[o]);
        for (i, &row) in rows.iter().enumerate() {
            let broken = match rule.check {
                RuleCheck::NotBefore => matches!((date(fv, i), date(ov, i)), (Some(a), Some(b)) if a < b),
                RuleCheck::NotAbove => matches!((int(fv, i), int(ov, i)), (Some(a), Some(b)) if a > b),
                RuleCheck::Requires => {
                    let applies = if rule.when.is_empty() {
                        !inputs[f].get(row).is_empty()
                    } else {
                        text(fv, i).is_some_and(|v| rule.when.iter().any(|w| w == v))
                    };
                    applies && inputs[o].get(row).is_empty()
                }
                RuleCheck::FlagBelow => match (flag(fv, i), int(ov, i), rule.limit) {
                    (Some(set), Some(n), Some(limit)) => set != (n < limit),
                    _ => false,
                },
                RuleCheck::AgeAt => match (int(fv, i), date(ov, i), at.and_then(|a| date(&values[a], i))) {
                    (Some(age), Some(born), Some(when)) => (completed_years(born, when) - age).abs() > rule.tolerance,
                    _ => false,
                },
            };
            if broken {
                issues.push(Issue {
                    row_index: row,
                    field: rule.field.clone(),
                    rule: id,
                    severity,
                });
            }
        }
    }
}

/// A partner's own id for a record (the key column other than
/// `partner_id`) should be unique within one export. A later row repeating
/// an earlier row's id (not an exact duplicate: those are removed before)
/// is flagged `key.duplicate`; which of them is current is the marts' call.
/// `rows` are the rows kept: a quarantined copy is not a record.
pub(super) fn check_unique_keys(schema: &TableSchema, inputs: &[Input<'_>], rows: &[usize], issues: &mut Vec<Issue>) {
    for (ci, spec) in schema.columns.iter().enumerate() {
        if spec.name == "partner_id" || !schema.key.contains(&spec.name) {
            continue;
        }
        let mut seen: foldhash::HashSet<&str> = foldhash::HashSetExt::with_capacity(rows.len());
        for &r in rows {
            let id = inputs[ci].get(r);
            if !id.is_empty() && !seen.insert(id) {
                issues.push(Issue {
                    row_index: r,
                    field: spec.name.clone(),
                    rule: "key.duplicate",
                    severity: Severity::Warning,
                });
            }
        }
    }
}

/// Which dimension of data quality a rule measures.
pub fn dimension(rule: &str) -> &'static str {
    match rule {
        "required" => "completeness",
        "key.duplicate" => "uniqueness",
        r if declared_message(r).is_some() => "consistency",
        _ => "validity",
    }
}

/// One field of one table in one file: how many records, how many filled,
/// and how many broke a validity, consistency or uniqueness rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldScore {
    pub field: String,
    pub records: usize,
    pub filled: usize,
    pub invalid: usize,
    pub inconsistent: usize,
    pub duplicate: usize,
}

/// The scorecard of one feed: every mapped field of the schema, over every
/// record of the table in the file (kept and quarantined alike).
pub(super) fn score(schema: &TableSchema, inputs: &[Input<'_>], rows: &[usize], issues: &[Issue]) -> Vec<FieldScore> {
    let mut by_field: HashMap<&str, [foldhash::HashSet<usize>; 3]> = HashMap::new();
    for i in issues {
        let slot = match dimension(i.rule) {
            "validity" => 0,
            "consistency" => 1,
            "uniqueness" => 2,
            _ => continue,
        };
        by_field.entry(i.field.as_str()).or_default()[slot].insert(i.row_index);
    }
    schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_mappable())
        .map(|(ci, c)| {
            let sets = by_field.get(c.name.as_str());
            let count = |slot: usize| sets.map_or(0, |s| s[slot].len());
            FieldScore {
                field: c.name.clone(),
                records: rows.len(),
                filled: rows.iter().filter(|&&r| !inputs[ci].get(r).is_empty()).count(),
                invalid: count(0),
                inconsistent: count(1),
                duplicate: count(2),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_years_count_birthdays_passed() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(completed_years(d("2005-06-15"), d("2021-06-14")), 15);
        assert_eq!(completed_years(d("2005-06-15"), d("2021-06-15")), 16);
        assert_eq!(completed_years(d("2004-02-29"), d("2021-02-28")), 16);
    }
}
