//! Acts and sections from free text: "u/s 370/372/120B IPC", "370, 372 IPC
//! r/w 120B", "Sec 5 ITPA", "143 BNS", "POCSO 6", "IPC 370 & POCSO 4".
//!
//! Records write the act either before its sections ("IPC 370, 372") or
//! after them ("370/372 IPC"). When the text opens with an act, sections
//! belong to the act before them; otherwise to the act after them, and
//! trailing sections ("r/w 120B") to the last act named.

use std::collections::{HashMap, HashSet};

use crate::text::place_key;

/// The acts a sections field may name, and which sections mark trafficking:
/// built by the main crate from `schemas/reference/sections.toml`.
#[derive(Debug, Clone, Default)]
pub struct ActTable {
    /// Normalised alias -> act code, longest alias first.
    pub act_aliases: Vec<(String, String)>,
    /// (act, section) pairs that mark trafficking.
    pub trafficking: HashSet<(String, String)>,
    /// BNS section -> IPC section.
    pub bns_to_ipc: HashMap<String, String>,
}

/// One charged section.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Section {
    pub act: String,
    pub section: String,
}

/// The result of parsing a sections field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sections {
    pub items: Vec<Section>,
    /// Whether any item (or its IPC equivalent) marks a trafficking case.
    pub trafficking: bool,
}

impl Sections {
    /// "IPC 370; IPC 372; POCSO 6": sorted, de-duplicated.
    pub fn normalised(&self) -> String {
        self.items
            .iter()
            .map(|s| format!("{} {}", s.act, s.section))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionsError {
    /// Section numbers with no act named anywhere in the field.
    NoAct,
    /// Nothing that looks like a section.
    Unrecognised,
}

#[derive(Debug)]
enum Tok {
    Act(String),
    Num(String),
}

/// Parse a sections field.
pub fn parse_sections(raw: &str, reference: &ActTable) -> Result<Sections, SectionsError> {
    let toks = tokenize(raw, reference);
    if !toks.iter().any(|t| matches!(t, Tok::Num(_))) {
        return Err(SectionsError::Unrecognised);
    }
    let act_first = matches!(toks.first(), Some(Tok::Act(_)));
    let mut items = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut last_act: Option<String> = None;
    for t in toks {
        match t {
            Tok::Act(a) => {
                for n in pending.drain(..) {
                    items.push(Section {
                        act: a.clone(),
                        section: n,
                    });
                }
                last_act = Some(a);
            }
            Tok::Num(n) => match (&last_act, act_first) {
                (Some(a), true) => items.push(Section {
                    act: a.clone(),
                    section: n,
                }),
                _ => pending.push(n),
            },
        }
    }
    if !pending.is_empty() {
        let act = last_act.ok_or(SectionsError::NoAct)?;
        items.extend(pending.into_iter().map(|n| Section {
            act: act.clone(),
            section: n,
        }));
    }
    items.sort();
    items.dedup();
    let trafficking = items.iter().any(|s| is_trafficking(s, reference));
    Ok(Sections { items, trafficking })
}

fn is_trafficking(s: &Section, r: &ActTable) -> bool {
    if r.trafficking.contains(&(s.act.clone(), s.section.clone())) {
        return true;
    }
    s.act == "BNS"
        && r.bns_to_ipc
            .get(&s.section)
            .is_some_and(|ipc| r.trafficking.contains(&("IPC".to_string(), ipc.clone())))
}

/// Split into acts and section numbers. Words that are neither ("u/s",
/// "Sec", "r/w", "and") are connectors and are skipped.
fn tokenize(raw: &str, r: &ActTable) -> Vec<Tok> {
    let text = place_key(&raw.replace(['(', ')'], " ( ").replace("r/w", " "));
    // place_key dropped brackets; section numbers like 137(2) are rebuilt below.
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = Vec::new();
    let mut i = 0;
    'outer: while i < words.len() {
        // Longest act alias that starts here.
        for (alias, act) in &r.act_aliases {
            let n = alias.split(' ').count();
            if i + n <= words.len() && words[i..i + n].join(" ") == *alias {
                out.push(Tok::Act(act.clone()));
                i += n;
                continue 'outer;
            }
        }
        let w = words[i];
        if is_section_number(w) {
            let mut num = w.to_uppercase();
            // "137 2" from "137(2)": a 1-2 digit sub-section right after a number.
            if let Some(next) = words.get(i + 1)
                && raw_has_subsection(raw, &num, next)
            {
                num = format!("{num}({next})");
                i += 1;
            }
            out.push(Tok::Num(num));
        }
        i += 1;
    }
    out
}

fn is_section_number(w: &str) -> bool {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) && suffix.len() <= 1
}

fn raw_has_subsection(raw: &str, num: &str, next: &str) -> bool {
    next.len() <= 2
        && next.bytes().all(|b| b.is_ascii_digit())
        && crate::digits::to_ascii_digits(raw)
            .to_uppercase()
            .replace(' ', "")
            .contains(&format!("{num}({next})"))
}
