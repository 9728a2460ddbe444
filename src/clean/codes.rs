//! Coded answers (sex, outcome, yes/no, legal representation, form of
//! trafficking...) in English, Bengali and each partner's own codes. The
//! schema's synonyms give the shared vocabulary; a partner's value map wins
//! over them.

use std::collections::{BTreeMap, HashMap};

use crate::config::reference::place_key;
use crate::config::schema::ColumnSpec;

/// A lookup from written code to canonical value for one column of one feed.
#[derive(Debug, Default)]
pub struct CodeBook {
    map: HashMap<String, String>,
}

impl CodeBook {
    /// For an enum column: its values, its synonyms, then the partner's map.
    pub fn for_enum(spec: &ColumnSpec, partner: Option<&BTreeMap<String, String>>) -> Self {
        let mut map = HashMap::new();
        for v in &spec.values {
            map.insert(place_key(v), v.clone());
        }
        for (v, words) in &spec.synonyms {
            for w in words {
                map.insert(place_key(w), v.clone());
            }
        }
        Self::with_partner(map, partner)
    }

    /// For a boolean column: yes/no words in English and Bengali, then the partner's map.
    pub fn for_boolean(partner: Option<&BTreeMap<String, String>>) -> Self {
        let mut map = HashMap::new();
        for w in ["yes", "y", "1", "true", "t", "হ্যাঁ", "হ্যা", "হাঁ", "হা"] {
            map.insert(place_key(w), "true".to_string());
        }
        for w in ["no", "n", "0", "false", "f", "না", "নাই"] {
            map.insert(place_key(w), "false".to_string());
        }
        Self::with_partner(map, partner)
    }

    fn with_partner(mut map: HashMap<String, String>, partner: Option<&BTreeMap<String, String>>) -> Self {
        for (code, v) in partner.into_iter().flatten() {
            map.insert(place_key(code), v.clone());
        }
        CodeBook { map }
    }

    pub fn lookup(&self, written: &str) -> Option<&str> {
        self.map.get(&place_key(written)).map(String::as_str)
    }
}

/// A whole number from "25", "25 yrs", "approx. 25", "২৫", "25.0".
pub fn parse_integer(raw: &str) -> Option<i64> {
    let s = super::digits::to_ascii_digits(raw.trim()).to_lowercase();
    let mut s = s.as_str();
    for p in ["approx.", "approx", "about", "abt", "~", "c."] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.trim_start();
        }
    }
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    let rest = rest.trim().trim_start_matches(".0").trim();
    let unit_ok = matches!(rest, "" | "y" | "yr" | "yrs" | "years" | "year" | "yo" | "বছর");
    if num.is_empty() || !unit_ok {
        return None;
    }
    num.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Model;

    #[test]
    fn enums_in_english_bengali_and_partner_codes() {
        let m = Model::load().unwrap();
        let sex = m.schema("survivors").column("sex").unwrap();
        let mut partner = BTreeMap::new();
        partner.insert("2".to_string(), "female".to_string());
        let book = CodeBook::for_enum(sex, Some(&partner));
        assert_eq!(book.lookup("F"), Some("female"));
        assert_eq!(book.lookup(" মহিলা "), Some("female"));
        assert_eq!(book.lookup("2"), Some("female"));
        assert_eq!(book.lookup("Feminine"), Some("female"));
        assert_eq!(book.lookup("zebra"), None);
    }

    #[test]
    fn yes_no() {
        let b = CodeBook::for_boolean(None);
        assert_eq!(b.lookup("Yes"), Some("true"));
        assert_eq!(b.lookup("না"), Some("false"));
        assert_eq!(b.lookup("maybe"), None);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer("25"), Some(25));
        assert_eq!(parse_integer("approx. 25 yrs"), Some(25));
        assert_eq!(parse_integer("২৫"), Some(25));
        assert_eq!(parse_integer("25.0"), Some(25));
        assert_eq!(parse_integer("twenty"), None);
        assert_eq!(parse_integer("25-30"), None);
    }
}
