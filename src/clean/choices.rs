//! Multiple-choice questions (`select_multiple` in KoboToolbox and ODK)
//! read into one canonical column.
//!
//! KoboToolbox exports such a question as a "summary" column, the chosen
//! options in one cell separated by spaces (option names, or labels when
//! the export uses labels), as "details" columns, one per option headed
//! `question/option` holding 1 or 0, or as both. Either way the row's
//! choices are read here, each through the column's value map, and one
//! value is made of them: a column of acts and sections keeps them all; any
//! other column takes the first of the feed's `prefer` that was chosen,
//! else the first chosen that the map knows, else `otherwise`.

use std::collections::BTreeMap;

use super::fold;
use crate::config::pipeline::Choices;
use crate::extract::RawTable;

/// The cells of the canonical column `c` makes, or `None` (with the
/// header added to `missing`) when the file lacks its columns.
pub(super) fn column(
    c: &Choices,
    map: Option<&BTreeMap<String, String>>,
    keep_all: bool,
    raw: &RawTable,
    missing: &mut Vec<String>,
) -> Option<Vec<String>> {
    let map: Option<BTreeMap<String, &str>> = map.map(|m| m.iter().map(|(k, v)| (fold(k), v.as_str())).collect());
    let chosen: Vec<Vec<String>> = if let Some(h) = &c.column {
        let i = super::header(raw, h, missing)?;
        raw.columns[i]
            .iter()
            .map(|cell| split(cell, &c.separator, map.as_ref()))
            .collect()
    } else {
        let prefix = c.options.as_deref().expect("checked with the config");
        let want = prefix.trim().to_lowercase();
        let options: Vec<(usize, &str)> = raw
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.to_lowercase().starts_with(&want) && h.len() > prefix.trim().len())
            .map(|(i, h)| (i, h[prefix.trim().len()..].trim()))
            .collect();
        if options.is_empty() {
            missing.push(format!("{prefix}…"));
            return None;
        }
        (0..raw.len())
            .map(|r| {
                options
                    .iter()
                    .filter(|(i, _)| is_chosen(&raw.columns[*i][r]))
                    .map(|(_, o)| o.to_string())
                    .collect()
            })
            .collect()
    };
    Some(
        chosen
            .iter()
            .map(|ch| one_value(ch, c, map.as_ref(), keep_all))
            .collect(),
    )
}

/// Whether a details cell marks its option chosen.
fn is_chosen(cell: &str) -> bool {
    matches!(fold(cell).as_str(), "1" | "1.0" | "true" | "yes")
}

/// The options chosen in a summary cell. Labels may hold the separator
/// ("Forced labour Sexual exploitation"), so runs of words that the value
/// map knows as one option are kept together, longest first.
fn split(cell: &str, separator: &str, map: Option<&BTreeMap<String, &str>>) -> Vec<String> {
    let words: Vec<&str> = cell.split(separator).map(str::trim).filter(|w| !w.is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let j = (i + 1..=words.len())
            .rev()
            .find(|&j| j == i + 1 || map.is_some_and(|m| m.contains_key(&fold(&words[i..j].join(" ")))))
            .expect("i + 1 is always taken");
        out.push(words[i..j].join(" "));
        i = j;
    }
    out
}

/// The one value a row's choices give.
fn one_value(chosen: &[String], c: &Choices, map: Option<&BTreeMap<String, &str>>, keep_all: bool) -> String {
    if chosen.is_empty() {
        return String::new();
    }
    let read = |o: &String| -> Option<String> {
        match map {
            Some(m) => m.get(&fold(o)).map(|v| v.to_string()),
            None => Some(o.clone()),
        }
    };
    if keep_all {
        return chosen
            .iter()
            .map(|o| read(o).unwrap_or_else(|| o.clone()))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mapped: Vec<String> = chosen.iter().filter_map(read).collect();
    c.prefer
        .iter()
        .find(|p| mapped.contains(p))
        .cloned()
        .or_else(|| mapped.first().cloned())
        .or_else(|| c.otherwise.clone())
        // Nothing the map knows: the first choice as written, which the
        // column's reading then reports as an unknown code.
        .unwrap_or_else(|| chosen[0].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::test_table as raw;

    fn forms() -> BTreeMap<String, String> {
        [
            ("sexual_exploitation", "SexualExploitation"),
            ("forced_labour", "ForcedLabour"),
            ("Sexual exploitation", "SexualExploitation"),
            ("Forced labour", "ForcedLabour"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into()
    }

    #[test]
    fn a_summary_column_of_names_or_of_labels_gives_the_preferred_choice() {
        let t = raw(
            &["exploitation"],
            &[
                &["forced_labour sexual_exploitation"],
                &["forced_labour"],
                &["Forced labour Sexual exploitation"],
                &[""],
                &["begging"],
            ],
        );
        let c = Choices {
            column: Some("exploitation".into()),
            separator: " ".into(),
            prefer: vec!["SexualExploitation".into()],
            ..Default::default()
        };
        let cells = column(&c, Some(&forms()), false, &t, &mut Vec::new()).unwrap();
        assert_eq!(
            cells,
            [
                "SexualExploitation",
                "ForcedLabour",
                "SexualExploitation",
                "",
                "begging"
            ]
        );
    }

    #[test]
    fn details_columns_of_ones_and_zeros_are_read_and_a_list_column_keeps_all() {
        let t = raw(
            &["Sections", "Sections/IPC 370", "Sections/ITPA 5", "Sections/POCSO 17"],
            &[&["", "1", "0", "1"], &["", "0", "0", "0"], &["", "1", "", ""]],
        );
        let c = Choices {
            options: Some("Sections/".into()),
            separator: " ".into(),
            ..Default::default()
        };
        let cells = column(&c, None, true, &t, &mut Vec::new()).unwrap();
        assert_eq!(cells, ["IPC 370, POCSO 17", "", "IPC 370"]);
    }

    #[test]
    fn otherwise_answers_when_no_choice_is_in_the_map_and_a_missing_column_is_reported() {
        let t = raw(&["support"], &[&["shelter legal_aid"], &["shelter medical"], &[""]]);
        let c = Choices {
            column: Some("support".into()),
            separator: " ".into(),
            otherwise: Some("false".into()),
            ..Default::default()
        };
        let map: BTreeMap<String, String> = [("legal_aid".to_string(), "true".to_string())].into();
        let cells = column(&c, Some(&map), false, &t, &mut Vec::new()).unwrap();
        assert_eq!(cells, ["true", "false", ""]);
        let mut missing = Vec::new();
        let c = Choices {
            options: Some("help/".into()),
            separator: " ".into(),
            ..Default::default()
        };
        assert!(column(&c, None, false, &t, &mut missing).is_none());
        assert_eq!(missing, ["help/…"]);
    }
}
