//! The dashboard's languages: English and Bengali.
//!
//! Programme management speaks at forums in English; survivor-collective
//! leaders, who keep their registers in Bengali, speak at the same ones.
//! Both pages are rendered from one template and one set of figures; every
//! word on them comes from a message catalogue (`lang/en.toml`,
//! `lang/bn.toml`, key for key), and the Bengali catalogue also carries the
//! indicators' titles, definitions, numerators and denominators, the theme
//! names and the dates periods are counted by, which in English come from
//! the indicators' metadata. Digits stay Western unless `[report]
//! bengali_digits` asks for Bengali ones (০-৯) on the Bengali page: figures
//! copied into a spreadsheet or a letter read either way, and forums differ.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::warehouse::IndicatorMeta;

/// One language's catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lang {
    /// "en" or "bn", the page's `lang`.
    pub code: String,
    /// Whether a speaker of the language has reviewed the catalogue.
    pub reviewed: bool,
    ui: BTreeMap<String, String>,
    #[serde(default)]
    dates: BTreeMap<String, String>,
    #[serde(default)]
    themes: BTreeMap<String, String>,
    #[serde(default)]
    indicators: BTreeMap<String, IndicatorText>,
    /// Coded values' names (an entitlement, an authority) where the
    /// reports list them.
    #[serde(default)]
    values: BTreeMap<String, String>,
    /// Write digits in the script (Bengali ০-৯); set from the config.
    #[serde(skip)]
    pub native_digits: bool,
}

/// An indicator's texts in a language other than its metadata's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorText {
    pub title: String,
    pub definition: String,
    pub numerator: String,
    pub denominator: String,
}

impl Lang {
    fn parse(name: &str, text: &str) -> Result<Lang> {
        toml::from_str(text).map_err(|e| Error::Config {
            path: format!("src/report/lang/{name}").into(),
            problems: vec![e.to_string()],
        })
    }

    /// Both catalogues, English first.
    pub fn all(bengali_digits: bool) -> Result<Vec<Lang>> {
        let en = Lang::parse("en.toml", include_str!("lang/en.toml"))?;
        let mut bn = Lang::parse("bn.toml", include_str!("lang/bn.toml"))?;
        bn.native_digits = bengali_digits;
        Ok(vec![en, bn])
    }

    /// The file the page is written to, beside the other reports.
    pub fn page(&self) -> &'static str {
        if self.code == "bn" {
            super::DASHBOARD_BN
        } else {
            super::DASHBOARD
        }
    }

    /// The message `key` (the key itself when missing, which a unit test
    /// keeps from happening).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.ui.get(key).map_or(key, String::as_str)
    }

    /// Every message, for the template.
    pub fn ui_map(&self) -> &BTreeMap<String, String> {
        &self.ui
    }

    /// The message `key` with its `{name}`s filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        self.digits(&out)
    }

    /// `text` with its digits in this language's script when asked for.
    pub fn digits(&self, text: &str) -> String {
        if self.writes_bengali_digits() {
            bengali_digits(text)
        } else {
            text.to_string()
        }
    }

    /// Whether this page writes its digits as Bengali ones.
    pub fn writes_bengali_digits(&self) -> bool {
        self.native_digits && self.code == "bn"
    }

    /// A coded value's name (`ration_card`: "Ration card"); the value with
    /// its underscores as spaces when the catalogue lacks it.
    pub fn value(&self, value: &str) -> String {
        self.values.get(value).cloned().unwrap_or_else(|| {
            let text = value.replace('_', " ");
            let mut chars = text.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        })
    }

    /// A theme's name.
    pub fn theme(&self, theme: &str) -> String {
        self.themes.get(theme).cloned().unwrap_or_else(|| theme.to_string())
    }

    /// An indicator's title, definition, numerator and denominator.
    pub fn indicator(&self, meta: &IndicatorMeta) -> IndicatorText {
        self.indicators.get(&meta.id).cloned().unwrap_or_else(|| IndicatorText {
            title: meta.title.clone(),
            definition: meta.definition.clone(),
            numerator: meta.numerator.clone(),
            denominator: meta.denominator.clone().unwrap_or_default(),
        })
    }

    /// The date a period is counted by ("award date"), as a phrase.
    pub fn counted_by(&self, period_by: &str) -> String {
        if period_by == "the run" {
            return self.t("as_of_run").to_string();
        }
        let date = self.dates.get(period_by).cloned().unwrap_or_else(|| {
            period_by
                .replace('_', " ")
                .replace("fir ", "FIR ")
                .replace("ahtu ", "AHTU ")
                .replace("cid ", "CID ")
        });
        self.fill("counted_by", &[("date", &date)])
    }

    /// A period's name: "All time", "FY 2025-26", "FY 2025-26 Q1".
    pub fn period(&self, period: &str) -> String {
        if period == crate::period::ALL_TIME {
            return self.t("all_time").to_string();
        }
        let years = crate::period::short(period);
        match years.split_once(" Q") {
            Some((years, q)) => self.fill("quarter", &[("years", years), ("q", q)]),
            None => self.fill("fy", &[("years", years)]),
        }
    }
}

/// The `{name}`s a message has filled in (`Lang::fill`), each with its
/// braces.
pub fn placeholders(text: &str) -> std::collections::BTreeSet<String> {
    text.match_indices('{')
        .filter_map(|(i, _)| text[i..].find('}').map(|j| text[i..i + j + 1].to_string()))
        .collect()
}

/// `text` with 0-9 written as ০-৯.
pub fn bengali_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => char::from_u32(0x09E6 + d).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_hold_every_word_and_every_indicator() {
        let langs = Lang::all(true).unwrap();
        let (en, bn) = (&langs[0], &langs[1]);
        assert_eq!(
            en.ui.keys().collect::<Vec<_>>(),
            bn.ui.keys().collect::<Vec<_>>(),
            "en.toml and bn.toml, key for key"
        );
        let project = crate::warehouse::Project::load().unwrap();
        let bengali = |s: &str| s.chars().any(|c| ('\u{0980}'..='\u{09FF}').contains(&c));
        for meta in project.indicators() {
            let text = bn
                .indicators
                .get(&meta.id)
                .unwrap_or_else(|| panic!("no Bengali for {}", meta.id));
            assert!(bengali(&text.title) && bengali(&text.definition), "{}", meta.id);
            assert_eq!(text.denominator.is_empty(), meta.denominator.is_none(), "{}", meta.id);
            assert!(bn.themes.contains_key(&meta.theme), "theme {}", meta.theme);
            assert!(
                meta.period_by == "the run" || bn.dates.contains_key(&meta.period_by),
                "date {}",
                meta.period_by
            );
        }
        for (key, text) in &bn.ui {
            assert_eq!(
                placeholders(text),
                placeholders(en.t(key)),
                "{key}: the same {{names}} in both"
            );
        }
    }

    #[test]
    fn periods_and_digits_read_in_the_language() {
        let langs = Lang::all(true).unwrap();
        assert_eq!(langs[0].period("FY 2025-26"), "FY 2025-26");
        assert_eq!(langs[0].period("FY 2025-26 Q2"), "FY 2025-26 Q2");
        assert_eq!(langs[1].period("FY 2025-26"), "অর্থবর্ষ ২০২৫-২৬");
        assert_eq!(langs[1].period("All time"), "সব সময়");
        assert_eq!(langs[1].counted_by("award_date"), "মঞ্জুরির তারিখ অনুযায়ী");
        assert_eq!(langs[0].counted_by("fir_date"), "by FIR date");
        let plain = &Lang::all(false).unwrap()[1];
        assert_eq!(
            plain.period("FY 2025-26"),
            "অর্থবর্ষ 2025-26",
            "Western digits unless asked"
        );
    }
}
