//! Data-quality findings: rule ids, severities, and the message each rule
//! reads in the quarantine and the data-quality tables. A finding names the
//! file, row and field, never the value.

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about one field of one row. Never holds the value.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Index of the row in the raw table.
    pub row_index: usize,
    pub field: String,
    pub rule: &'static str,
    pub severity: Severity,
}

/// The rules the cleaning code checks itself (besides those each schema
/// declares): every one has a message here and a fix in
/// `schemas/reference/fixes.toml`.
pub const BUILT_IN_RULES: [&str; 23] = [
    "required",
    "cell.too_long",
    "key.duplicate",
    "row.ragged",
    "row.rejected",
    "row.orphan",
    "date.unrecognised",
    "date.impossible",
    "date.out_of_range",
    "date.unlikely",
    "amount.unrecognised",
    "amount.negative",
    "amount.range",
    "integer.unrecognised",
    "integer.range",
    "phone.not_mobile",
    "code.unknown",
    "place.unknown",
    "scheme.unknown",
    "id.phone_shaped",
    "id.name_shaped",
    "sections.no_act",
    "sections.unrecognised",
];

/// The plain-language meaning of a rule id.
pub fn rule_message(rule: &str) -> &'static str {
    match rule {
        "required" => "required field is blank",
        "cell.too_long" => "a cell longer than 32,767 characters, more than any field holds or a report can show",
        "key.duplicate" => "the same id is on more than one row of the export",
        "row.ragged" => {
            "the row does not have one cell per header column (a stray quote or delimiter shifted its cells)"
        }
        "row.rejected" => "rejected by the partner's config (its `reject` conditions: a submission not approved, say)",
        "row.orphan" => "a repeat-group row whose parent row is not in the parent sheet or file",
        "date.unrecognised" => "not a date in any known form",
        "date.impossible" => "names a day that does not exist",
        "date.out_of_range" => "date before 1900 or after the run's day: impossible, nulled",
        "date.unlikely" => "date before 1950: kept, but check it",
        "amount.unrecognised" => "not an amount in rupees",
        "amount.negative" => "negative amount",
        "amount.range" => "amount outside the allowed range",
        "integer.unrecognised" => "not a whole number",
        "integer.range" => "number outside the allowed range",
        "phone.not_mobile" => "not a ten-digit Indian mobile number",
        "code.unknown" => "code not in the value map or the schema's vocabulary",
        "place.unknown" => "place not in the reference lists (nulled; its spelling is listed for the data officer)",
        "scheme.unknown" => "scheme not in the reference list (nulled; its spelling is listed for the data officer)",
        "id.phone_shaped" => "the identifier is a phone number (published only as a pseudonym)",
        "id.name_shaped" => "the identifier looks like a name (published only as a pseudonym)",
        "sections.no_act" => "section numbers without an act",
        "sections.unrecognised" => "no act and section found",
        other => super::contract::declared_message(other).unwrap_or("rule failed"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_rule_reads_as_words() {
        for rule in super::BUILT_IN_RULES {
            assert_ne!(super::rule_message(rule), "rule failed", "{rule}");
        }
    }
}
