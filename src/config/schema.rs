//! The canonical tables declared in `schemas/`: column types, requiredness,
//! allowed values, privacy class. Parsed strictly (unknown keys refused) and
//! checked for internal consistency before any pipeline is read against them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A column's type, which picks its parser in `clean` and decides what of
/// it may be published: an enum, boolean, date, number or sections value as
/// parsed; a place (district, state, police district, AHTU, block, police
/// station) or scheme only when its reference list knows it; an `id` as a
/// keyed pseudonym; a `name`, `phone` or `address` as a keyed token; `text`
/// never (its plaintext stays in the restricted area).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Free text: never published, kept in the restricted area only.
    Text,
    Id,
    Name,
    Phone,
    Address,
    Date,
    Integer,
    AmountInr,
    Boolean,
    Enum,
    District,
    State,
    PoliceDistrict,
    AhtuUnit,
    /// A community development block (`schemas/reference/blocks.toml`).
    Block,
    /// A police station (`schemas/reference/police_stations.toml`).
    PoliceStation,
    /// A gram panchayat an installation lists (`reference.toml`; see
    /// `schemas/reference/gram_panchayats.toml`).
    GramPanchayat,
    /// A victim-compensation scheme (`schemas/reference/schemes.toml`).
    Scheme,
    Sections,
}

/// The last year a planned date may fall in.
pub const PLANNED_LAST_YEAR: i32 = 2100;

/// How identifying a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// Identifies a person on its own: never leaves the restricted area.
    Direct,
    /// Identifies in combination (age, district, sex): published only in aggregates.
    Quasi,
    #[default]
    None,
}

/// What of a column the research tier holds (`research` in a schema):
/// decided by what the column is, and only ever narrower than what the
/// lake holds. A column says `year` (a date of birth: its year only) or
/// `record_key` (a partner's reference to a record: a keyed record key
/// instead, equal wherever the record is named); left out, a column of a
/// kind that names a person or a record (a token, an identifier, free
/// text) is withheld and any other kind is kept as parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Research {
    /// The value as the lake holds it.
    AsParsed,
    /// A date's year only (`birth_year` for `date_of_birth`).
    Year,
    /// A keyed record key in place of a partner's reference
    /// (`survivor_record_key` for `survivor_ref`).
    RecordKey,
    /// Not in the research tier.
    Withheld,
}

/// Where a column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSource {
    /// Mapped from a partner's export column.
    #[default]
    Mapped,
    /// Filled from the pipeline config (the partner id).
    Partner,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub privacy: Privacy,
    #[serde(default)]
    pub source: ColumnSource,
    pub description: String,
    /// Allowed values of an enum.
    #[serde(default)]
    pub values: Vec<String>,
    /// Enum value -> the written forms that mean it.
    #[serde(default)]
    pub synonyms: BTreeMap<String, Vec<String>>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// A column computed from another (e.g. `is_trafficking_case` from `sections`).
    pub derived_from: Option<String>,
    /// Headers partners write for this column, in English and Bengali
    /// (compared without case, punctuation or a Kobo group path): how
    /// `tafteesh onboard` recognises it in an export it has not seen.
    #[serde(default)]
    pub headers: Vec<String>,
    /// What the research tier holds of it; see [`Research`] and
    /// [`ColumnSpec::research`] for the default.
    #[serde(default, rename = "research")]
    pub research_as: Option<Research>,
    /// A date the record plans (a review's next due date): it may lie in
    /// the future, so "after the run's day" does not null it; only a year
    /// after [`PLANNED_LAST_YEAR`] (a "31/12/9999" sentinel) does.
    #[serde(default)]
    pub planned: bool,
    /// The kind of record a reference names when its name does not say
    /// (`leader_ref` names a `survivor`): its record key is that record's.
    #[serde(default)]
    pub refers_to: Option<String>,
}

impl ColumnSpec {
    /// What the research tier holds of this column: as declared, else
    /// withheld for a token, a partner's identifier or free text, and as
    /// parsed for anything else (an enum, a date, a number, a known place).
    pub fn research(&self) -> Research {
        self.research_as.unwrap_or(
            if self.privacy == Privacy::Direct || self.is_pseudonymised_id() || self.ty == ColumnType::Text {
                Research::Withheld
            } else {
                Research::AsParsed
            },
        )
    }

    /// Its name in the research tier, when the tier holds it.
    pub fn research_name(&self) -> Option<String> {
        match self.research() {
            Research::AsParsed => Some(self.lake_name()),
            Research::Year => Some(format!("{}_year", self.name.trim_start_matches("date_of_"))),
            Research::RecordKey => Some(format!(
                "{}_record_key",
                self.name.strip_suffix("_ref").unwrap_or(&self.name)
            )),
            Research::Withheld => None,
        }
    }

    /// What a reference names (`survivor` for `survivor_ref`): its record
    /// key's kind, which keeps the keys of different records apart.
    pub fn record_kind(&self) -> &str {
        self.refers_to
            .as_deref()
            .unwrap_or_else(|| self.name.strip_suffix("_ref").unwrap_or(&self.name))
    }

    /// The column's name in the lake: direct identifiers become `<name>_token`.
    pub fn lake_name(&self) -> String {
        if self.privacy == Privacy::Direct {
            format!("{}_token", self.name)
        } else {
            self.name.clone()
        }
    }

    /// Whether a partner config may (and, if required, must) map this column.
    pub fn is_mappable(&self) -> bool {
        self.source == ColumnSource::Mapped && self.derived_from.is_none()
    }

    /// Whether the lake holds this column at all: free text never reaches it.
    pub fn is_published(&self) -> bool {
        self.ty != ColumnType::Text
    }

    /// Whether the lake publishes this column as a keyed pseudonym of the
    /// partner's own identifier (a survivor's, case's or claim's reference,
    /// an FIR number): the same within the partner, unreadable without the key.
    pub fn is_pseudonymised_id(&self) -> bool {
        self.ty == ColumnType::Id && self.privacy != Privacy::Direct && self.source == ColumnSource::Mapped
    }

    /// Whether its value as written is kept for linkage in the restricted
    /// area, because what the lake publishes is not what was written: a
    /// direct identifier (a token), a pseudonymised identifier, free text,
    /// and the places and schemes the lake nulls when their list lacks them.
    pub fn keeps_plaintext(&self) -> bool {
        self.privacy == Privacy::Direct
            || self.is_pseudonymised_id()
            || matches!(
                self.ty,
                ColumnType::Text
                    | ColumnType::Block
                    | ColumnType::PoliceStation
                    | ColumnType::Scheme
                    | ColumnType::GramPanchayat
            )
    }
}

/// What a cross-field rule checks, between `field` and `other` of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleCheck {
    /// Two dates: `field` is not before `other` (when both are known).
    NotBefore,
    /// Two amounts or numbers: `field` does not exceed `other` (when both are known).
    NotAbove,
    /// When `field` is filled (and, if `when` lists values, holds one of
    /// them), `other` is filled too.
    Requires,
    /// `field` (an age in years) agrees with the years from `other` (a date
    /// of birth) to `at` (a date) within `tolerance` years.
    AgeAt,
    /// `field` (a yes/no flag such as "minor") is true exactly when `other`
    /// (a number such as age in years) is below `limit` (when both are known).
    FlagBelow,
}

/// Whether a broken rule makes the row unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSeverity {
    /// The row is quarantined.
    Error,
    /// The row is kept and `field` is flagged in the data-quality findings.
    Warning,
}

/// A cross-field rule of the data contract, checked on every row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, written to `dq_issues.rule_id` (e.g. `cases.chargesheet_after_fir`).
    pub id: String,
    pub check: RuleCheck,
    /// The field the finding is recorded against.
    pub field: String,
    pub other: String,
    /// For `age_at`: the date the age was taken at.
    pub at: Option<String>,
    /// For `requires`: only when `field` holds one of these values.
    #[serde(default)]
    pub when: Vec<String>,
    /// For `age_at`: years of difference tolerated.
    #[serde(default = "default_tolerance")]
    pub tolerance: i64,
    /// For `flag_below`: the number below which the flag is true (18 for a minor).
    pub limit: Option<i64>,
    pub severity: RuleSeverity,
    /// What the rule means, in plain words: the message data officers read.
    pub message: String,
}

fn default_tolerance() -> i64 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSchema {
    pub table: String,
    pub description: String,
    pub grain: String,
    pub key: Vec<String>,
    pub columns: Vec<ColumnSpec>,
    /// Cross-field rules of the data contract.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The position of a column in `columns`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Problems inside this schema; empty when it is consistent.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !seen.insert(c.name.as_str()) {
                out.push(format!("column `{}` is declared twice", c.name));
            }
            let direct_type = matches!(c.ty, ColumnType::Name | ColumnType::Phone | ColumnType::Address);
            if direct_type && c.privacy != Privacy::Direct {
                out.push(format!(
                    "column `{}` holds a name, phone or address and must be privacy = \"direct\"",
                    c.name
                ));
            }
            if c.ty == ColumnType::Enum && c.values.is_empty() {
                out.push(format!("enum column `{}` lists no values", c.name));
            }
            for v in c.synonyms.keys() {
                if !c.values.contains(v) {
                    out.push(format!(
                        "column `{}`: synonyms for `{v}`, which is not one of its values",
                        c.name
                    ));
                }
            }
            if let Some(src) = &c.derived_from
                && self.column(src).is_none()
            {
                out.push(format!(
                    "column `{}` is derived from `{src}`, which does not exist",
                    c.name
                ));
            }
            if c.planned && c.ty != ColumnType::Date {
                out.push(format!("column `{}`: planned applies to a date only", c.name));
            }
            match c.research_as {
                Some(Research::Year) if c.ty != ColumnType::Date => {
                    out.push(format!(
                        "column `{}`: research = \"year\" applies to a date only",
                        c.name
                    ));
                }
                Some(Research::RecordKey) if !(c.is_pseudonymised_id() && c.name.ends_with("_ref")) => {
                    out.push(format!(
                        "column `{}`: research = \"record_key\" applies to a partner's reference (an `id` named `<record>_ref`) only",
                        c.name
                    ));
                }
                Some(Research::AsParsed)
                    if c.privacy == Privacy::Direct || c.is_pseudonymised_id() || c.ty == ColumnType::Text =>
                {
                    out.push(format!(
                        "column `{}`: a token, a partner's identifier or free text cannot be in the research tier as parsed",
                        c.name
                    ));
                }
                _ => {}
            }
            if c.privacy == Privacy::Direct && c.required {
                out.push(format!(
                    "direct identifier `{}` cannot be required (records identified by survivor code must stay usable)",
                    c.name
                ));
            }
        }
        for k in &self.key {
            if self.column(k).is_none() {
                out.push(format!("key column `{k}` is not declared"));
            }
        }
        if self.column("partner_id").is_none() {
            out.push("every table needs a `partner_id` column".into());
        }
        let mut ids = std::collections::HashSet::new();
        for r in &self.rules {
            if !ids.insert(r.id.as_str()) {
                out.push(format!("rule `{}` is declared twice", r.id));
            }
            let ty = |name: &str| self.column(name).map(|c| c.ty);
            let mut wants: Vec<(&str, &[ColumnType])> = Vec::new();
            let dates: &[ColumnType] = &[ColumnType::Date];
            let numbers: &[ColumnType] = &[ColumnType::Integer, ColumnType::AmountInr];
            match r.check {
                RuleCheck::NotBefore => wants.extend([(r.field.as_str(), dates), (r.other.as_str(), dates)]),
                RuleCheck::NotAbove => wants.extend([(r.field.as_str(), numbers), (r.other.as_str(), numbers)]),
                RuleCheck::Requires => wants.extend([(r.field.as_str(), &[][..]), (r.other.as_str(), &[][..])]),
                RuleCheck::FlagBelow => {
                    wants.extend([
                        (r.field.as_str(), &[ColumnType::Boolean][..]),
                        (r.other.as_str(), numbers),
                    ]);
                    if r.limit.is_none() {
                        out.push(format!(
                            "rule `{}`: flag_below needs `limit`, the number below which the flag holds",
                            r.id
                        ));
                    }
                }
                RuleCheck::AgeAt => {
                    wants.extend([(r.field.as_str(), numbers), (r.other.as_str(), dates)]);
                    match &r.at {
                        Some(at) => wants.push((at.as_str(), dates)),
                        None => out.push(format!(
                            "rule `{}`: age_at needs `at`, the date the age was taken at",
                            r.id
                        )),
                    }
                }
            }
            for (name, types) in wants {
                match ty(name) {
                    None => out.push(format!("rule `{}` names `{name}`, which is not a column", r.id)),
                    Some(t) if !types.is_empty() && !types.contains(&t) => out.push(format!(
                        "rule `{}`: column `{name}` has the wrong type for {:?}",
                        r.id, r.check
                    )),
                    _ => {}
                }
            }
            if !r.when.is_empty()
                && let Some(c) = self.column(&r.field)
            {
                for v in r.when.iter().filter(|v| !c.values.contains(v)) {
                    out.push(format!("rule `{}`: `{v}` is not a value of `{}`", r.id, r.field));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(rules: &str) -> TableSchema {
        let text = format!(
            r#"
table = "t"
description = "d"
grain = "g"
key = ["partner_id", "ref"]
[[columns]]
name = "partner_id"
type = "id"
description = "p"
[[columns]]
name = "ref"
type = "id"
description = "r"
[[columns]]
name = "opened"
type = "date"
description = "o"
[[columns]]
name = "amount"
type = "amount_inr"
description = "a"
{rules}"#
        );
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn the_shipped_rules_are_consistent_with_their_schemas() {
        let model = crate::config::Model::load().unwrap();
        let rules: usize = model.schemas.iter().map(|s| s.rules.len()).sum();
        assert!(rules >= 10, "{rules}");
        for s in &model.schemas {
            assert!(s.problems().is_empty(), "{}: {:?}", s.table, s.problems());
        }
    }

    #[test]
    fn a_rule_on_a_missing_or_mistyped_column_is_refused() {
        let s = schema(
            r#"
[[rules]]
id = "x.bad_column"
check = "not_before"
field = "closed"
other = "opened"
severity = "warning"
message = "m"
[[rules]]
id = "x.bad_type"
check = "not_before"
field = "amount"
other = "opened"
severity = "warning"
message = "m"
"#,
        );
        let p = s.problems();
        assert!(p.iter().any(|m| m.contains("`closed`, which is not a column")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("`amount` has the wrong type")), "{p:?}");
        assert_eq!(schema("").problems(), Vec::<String>::new());
    }

    #[test]
    fn the_research_tier_holds_what_a_column_is_and_nothing_it_is_not() {
        let model = crate::config::Model::load().unwrap();
        let survivors = model.schemas.iter().find(|s| s.table == "survivors").unwrap();
        let cases = model.schemas.iter().find(|s| s.table == "cases").unwrap();
        let name = |s: &TableSchema, c: &str| s.column(c).unwrap().research_name();
        assert_eq!(name(survivors, "survivor_ref").as_deref(), Some("survivor_record_key"));
        assert_eq!(name(cases, "survivor_ref").as_deref(), Some("survivor_record_key"));
        assert_eq!(name(survivors, "date_of_birth").as_deref(), Some("birth_year"));
        assert_eq!(name(survivors, "home_block").as_deref(), Some("home_block"));
        assert_eq!(name(cases, "fir_number"), None);
        for s in &model.schemas {
            for c in &s.columns {
                if c.privacy == Privacy::Direct || c.ty == ColumnType::Text {
                    assert_eq!(c.research_name(), None, "{}.{}", s.table, c.name);
                }
            }
        }
        // A declaration can narrow a kind, never widen one.
        let declared = |research: &str| {
            let mut s = schema("");
            s.columns[1].name = "thing_ref".into();
            s.key = vec!["partner_id".into(), "thing_ref".into()];
            s.columns[1].research_as =
                Some(toml::from_str::<BTreeMap<String, Research>>(&format!("r = \"{research}\"")).unwrap()["r"]);
            s.columns[2].research_as = Some(Research::Year);
            s.problems()
        };
        assert_eq!(declared("record_key"), Vec::<String>::new());
        assert_eq!(declared("withheld"), Vec::<String>::new());
        let p = declared("as_parsed");
        assert!(
            p.iter().any(|m| m.contains("cannot be in the research tier as parsed")),
            "{p:?}"
        );
        let mut s = schema("");
        s.columns[3].research_as = Some(Research::Year);
        s.columns[2].research_as = Some(Research::RecordKey);
        let p = s.problems();
        assert!(
            p.iter()
                .any(|m| m.contains("`amount`: research = \"year\" applies to a date only")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.contains("`opened`: research = \"record_key\"")),
            "{p:?}"
        );
    }
}
