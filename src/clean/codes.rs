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

    /// The value a cell means: the whole cell, else the phrase it opens
    /// with when a note qualifies it ("Received on 12.03.2025", "Pending at
    /// BDO - follow up", "Rejected (documents incomplete)"): registers type
    /// a status as a note. A note opening with no known phrase means none.
    pub fn lookup(&self, written: &str) -> Option<&str> {
        let found = |s: &str| self.map.get(&place_key(s)).map(String::as_str);
        found(written).or_else(|| found(leading_phrase(written)?))
    }
}

/// Where a note's qualification starts: punctuation that opens an aside
/// (`(`, `,`, `;`, `:`, ` - `, ` – `) or a word that attaches one (on, at,
/// since, from, by, till, until, to, for, with, but, via). The phrase
/// before it, when there is one and it is not the whole cell.
fn leading_phrase(written: &str) -> Option<&str> {
    const MARKS: [&str; 7] = ["(", ",", ";", ":", " - ", " – ", " — "];
    const WORDS: [&str; 12] = [
        "on", "at", "since", "from", "by", "till", "until", "to", "for", "with", "but", "via",
    ];
    let mut cut = MARKS.iter().filter_map(|m| written.find(m)).min();
    let lower = written.to_lowercase();
    if lower.len() == written.len() {
        let mut at = 0;
        for word in lower.split(' ') {
            if at > 0 && WORDS.contains(&word) {
                cut = Some(cut.map_or(at - 1, |c| c.min(at - 1)));
                break;
            }
            at += word.len() + 1;
        }
    }
    let head = written[..cut?].trim();
    (!head.is_empty()).then_some(head)
}

/// A whole number from "25", "25 yrs", "approx. 25", "২৫", "25.0".
pub fn parse_integer(raw: &str) -> Option<i64> {
    let s = super::digits::to_ascii_digits(raw.trim()).to_lowercase();
    let mut s = s.as_str();
    for p in ["approx.", "approx", "about", "abt", "~", "c.", "প্রায়"] {
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

    /// A spelling that named two values of one column would name whichever
    /// the map took last: every schema's synonyms are checked for it.
    #[test]
    fn no_spelling_names_two_values_of_one_column() {
        let m = Model::load().unwrap();
        for schema in &m.schemas {
            for c in schema.columns.iter().filter(|c| !c.values.is_empty()) {
                let mut seen: HashMap<String, &str> = HashMap::new();
                let spellings = c.values.iter().map(|v| (v, v)).chain(
                    c.synonyms
                        .iter()
                        .flat_map(|(v, words)| words.iter().map(move |w| (v, w))),
                );
                for (value, written) in spellings {
                    if let Some(other) = seen.insert(place_key(written), value)
                        && other != value
                    {
                        panic!("{}.{}: `{written}` names `{other}` and `{value}`", schema.table, c.name);
                    }
                }
            }
        }
    }

    #[test]
    fn a_status_typed_as_a_note_is_read_by_the_phrase_it_opens_with() {
        let m = Model::load().unwrap();
        let status = m.schema("entitlements").column("status").unwrap();
        let book = CodeBook::for_enum(status, None);
        for (written, want) in [
            ("Received on 12.03.2025", Some("received")),
            ("received - card given to survivor", Some("received")),
            ("Pending at BDO", Some("pending")),
            ("pending at GP, follow up next week", Some("pending")),
            ("Applied - follow up", Some("pending")),
            ("Rejected (documents incomplete)", Some("rejected")),
            ("পেয়েছে (১২/০৩/২০২৫)", Some("received")),
            ("Spoke to BDO clerk", None),
            ("Not received", Some("pending")),
            ("Card not received yet", None),
            ("to be received", None),
        ] {
            assert_eq!(book.lookup(written), want, "{written}");
        }
    }

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
