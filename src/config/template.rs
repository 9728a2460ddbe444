//! Identifier templates: a canonical column built from constants and the
//! partner's columns, `"BKR-{serial:05}"`, as the partner's other registers
//! write the same identifier. `joined` puts whole columns side by side;
//! a template also pads a number and reads a repeat row's position.
//!
//! Placeholders, in braces:
//! - `{Column}`: the cell of the partner's column `Column` (a column of
//!   the parent form, `{../Column}`, once the parent is joined).
//! - `{Column:05}`: the same, a whole number padded with zeros to five
//!   digits (`7` and an Excel `7.0` both give `00007`); a cell that is not
//!   a whole number is written as it is.
//! - `{#Column}`: the row's place (1 = first) among the file's rows with
//!   the same `Column`: a KoboToolbox or ODK repeat row's position in its
//!   submission, by `_parent_index` or `PARENT_KEY` (ODK writes it as
//!   `case[2]` in the row's `KEY`). `{#}` alone: the row's place in the
//!   file. Padding applies too: `{#PARENT_KEY:02}`.
//!
//! `{{` and `}}` are a literal brace. A row any of whose placeholders is
//! blank gets no value: an identifier made from a missing serial is not
//! one.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// A partner's column, padded to `pad` digits when it holds a whole number.
    Column {
        header: String,
        pad: Option<usize>,
    },
    /// The row's 1-based place among the rows with the same value of
    /// `within` (every row of the file when `None`).
    Position {
        within: Option<String>,
        pad: Option<usize>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    /// Parse `text`; the error says what is wrong, for the config's message.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err("a `}` closes no placeholder (write `}}` for a brace)".into()),
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => {
                                return Err(format!("the placeholder `{{{inner}` is not closed with `}}`"));
                            }
                            Some(c) => inner.push(c),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(placeholder(&inner)?);
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        if !parts.iter().any(|p| !matches!(p, Part::Text(_))) {
            return Err("names no column: write `{Column}` for a partner's column".into());
        }
        Ok(Template { parts })
    }

    /// The partner's columns the template reads.
    pub fn headers(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Column { header, .. } => Some(header.as_str()),
            Part::Position { within, .. } => within.as_deref(),
            Part::Text(_) => None,
        })
    }
}

/// `{...}`'s inside: `Column`, `Column:05`, `#Column`, `#`, `#Column:02`.
fn placeholder(inner: &str) -> Result<Part, String> {
    let (name, pad) = match inner.rsplit_once(':') {
        // A header may hold a colon; only `:<digits>` at the end is a pad.
        Some((name, width)) if !width.is_empty() && width.bytes().all(|b| b.is_ascii_digit()) => {
            let pad: usize = width
                .parse()
                .ok()
                .filter(|w| (1..=30).contains(w))
                .ok_or_else(|| format!("`{{{inner}}}` pads to {width} digits: give 1 to 30"))?;
            (name, Some(pad))
        }
        _ => (inner, None),
    };
    if let Some(within) = name.strip_prefix('#') {
        let within = within.trim();
        return Ok(Part::Position {
            within: (!within.is_empty()).then(|| within.to_string()),
            pad,
        });
    }
    if name.trim().is_empty() {
        return Err(format!("`{{{inner}}}` names no column"));
    }
    Ok(Part::Column {
        header: name.to_string(),
        pad,
    })
}

/// `cell` padded with zeros to `pad` digits when it is a whole number (an
/// Excel number cell's `7.0` too), else as it is.
pub fn padded(cell: &str, pad: Option<usize>) -> String {
    let cell = cell.trim();
    let Some(width) = pad else {
        return cell.to_string();
    };
    let whole = cell.strip_suffix(".0").unwrap_or(cell);
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return cell.to_string();
    }
    format!("{whole:0>width$}")
}

/// Render `template` for every row: `cell(header, row)` reads a partner's
/// column (`None` when the file lacks it), and positions are counted over
/// the rows in file order. A row with a blank placeholder gets "".
pub fn render(template: &Template, rows: usize, cell: impl Fn(&str, usize) -> Option<String>) -> Vec<String> {
    use std::collections::HashMap;
    // Each position part's counts, per value of its column, in file order.
    let positions: Vec<Option<Vec<usize>>> = template
        .parts
        .iter()
        .map(|p| match p {
            Part::Position { within, .. } => {
                let mut seen: HashMap<String, usize> = HashMap::new();
                Some(
                    (0..rows)
                        .map(|r| {
                            let key = match within {
                                Some(h) => cell(h, r).unwrap_or_default(),
                                None => String::new(),
                            };
                            let n = seen.entry(key).or_default();
                            *n += 1;
                            *n
                        })
                        .collect(),
                )
            }
            _ => None,
        })
        .collect();
    (0..rows)
        .map(|r| {
            let mut out = String::new();
            for (p, pos) in template.parts.iter().zip(&positions) {
                match p {
                    Part::Text(t) => out.push_str(t),
                    Part::Column { header, pad } => match cell(header, r) {
                        Some(v) if !v.trim().is_empty() => out.push_str(&padded(&v, *pad)),
                        _ => return String::new(),
                    },
                    Part::Position { within, pad } => {
                        if within
                            .as_ref()
                            .is_some_and(|h| cell(h, r).is_none_or(|v| v.trim().is_empty()))
                        {
                            return String::new();
                        }
                        let n = pos.as_ref().expect("counted for every position")[r];
                        out.push_str(&padded(&n.to_string(), *pad));
                    }
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(template: &str, cols: &[(&str, &[&str])]) -> Vec<String> {
        let t = Template::parse(template).unwrap();
        let rows = cols.first().map_or(0, |c| c.1.len());
        render(&t, rows, |h, r| {
            cols.iter().find(|c| c.0 == h).map(|c| c.1[r].to_string())
        })
    }

    #[test]
    fn constants_padded_serials_and_repeat_positions() {
        assert_eq!(
            run("BKR-{serial:05}", &[("serial", &["7", "123.0", "", "A12"])]),
            ["BKR-00007", "BKR-00123", "", "BKR-A12"]
        );
        assert_eq!(
            run(
                "{PARENT_KEY}/case-{#PARENT_KEY}",
                &[("PARENT_KEY", &["uuid:a", "uuid:a", "uuid:b", "uuid:a", ""])]
            ),
            ["uuid:a/case-1", "uuid:a/case-2", "uuid:b/case-1", "uuid:a/case-3", ""]
        );
        assert_eq!(run("R{#:03}", &[("x", &["", ""])]), ["R001", "R002"]);
        assert_eq!(run("{{{a}}}", &[("a", &["x"])]), ["{x}"]);
        assert_eq!(
            run("{Time: HH:MM}", &[("Time: HH:MM", &["x"])]),
            ["x"],
            "a colon in a header"
        );
    }

    #[test]
    fn a_template_that_cannot_be_read_says_why() {
        for (t, why) in [
            ("BKR-", "names no column"),
            ("BKR-{serial", "not closed"),
            ("BKR}", "closes no placeholder"),
            ("{serial:0}", "1 to 30"),
            ("{}", "names no column"),
        ] {
            let e = Template::parse(t).unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
    }
}
