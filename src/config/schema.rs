//! The canonical tables declared in `schemas/`: column types, requiredness,
//! allowed values, privacy class. Parsed strictly (unknown keys refused) and
//! checked for internal consistency before any pipeline is read against them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A column's type, which picks its parser in `clean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
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
    Sections,
}

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
}

impl ColumnSpec {
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSchema {
    pub table: String,
    pub description: String,
    pub grain: String,
    pub key: Vec<String>,
    pub columns: Vec<ColumnSpec>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
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
        out
    }
}
