//! Any text against the shipped acts: `parse_sections` returns sorted,
//! de-duplicated (act, section) pairs or a reason, never panics, and its
//! normalised form parses back to the same sections.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tafteesh_parsers::sections::{ActTable, parse_sections};
use tafteesh_parsers::text::place_key;

/// The acts of `schemas/reference/sections.toml`, built the way the main
/// crate builds them (aliases as keys, longest first).
fn acts() -> &'static ActTable {
    static T: OnceLock<ActTable> = OnceLock::new();
    T.get_or_init(|| {
        let file: toml::Table = include_str!("../../schemas/reference/sections.toml").parse().expect("valid TOML");
        let mut act_aliases: Vec<(String, String)> = file["acts"]
            .as_table()
            .expect("[acts]")
            .iter()
            .flat_map(|(act, aliases)| {
                let aliases = aliases.as_array().expect("alias list").iter().filter_map(|a| a.as_str());
                aliases.chain([act.as_str()]).map(move |a| (place_key(a), act.clone()))
            })
            .collect();
        act_aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        act_aliases.dedup();
        let mut trafficking = std::collections::HashSet::new();
        for g in file["section"].as_array().expect("[[section]]") {
            if g.get("trafficking").and_then(|t| t.as_bool()) == Some(true) {
                let act = g["act"].as_str().expect("act").to_string();
                for s in g["sections"].as_array().expect("sections").iter().filter_map(|s| s.as_str()) {
                    trafficking.insert((act.clone(), s.to_uppercase()));
                }
            }
        }
        let bns_to_ipc = file["equivalent"]
            .as_table()
            .expect("[equivalent]")
            .iter()
            .filter_map(|(b, i)| Some((b.to_uppercase(), i.as_str()?.to_uppercase())))
            .collect();
        ActTable { act_aliases, trafficking, bns_to_ipc }
    })
}

fuzz_target!(|text: &str| {
    if let Ok(s) = parse_sections(text, acts()) {
        assert!(!s.items.is_empty());
        assert!(s.items.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        let again = parse_sections(&s.normalised(), acts()).expect("the normalised form parses");
        assert_eq!(again.items, s.items, "normalised form is stable");
    }
});
