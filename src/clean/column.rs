//! One column cleaned: every cell parsed by its type with the partner's
//! conventions, names and places normalised, identifiers pseudonymised,
//! and each cell's findings recorded; then written as a typed column.

use super::*;

/// A column's cleaned values, typed.
pub(super) enum Values {
    Text(Vec<Option<String>>),
    Date(Vec<Option<NaiveDate>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    /// Parsed sections; written to the lake in their normalised text form.
    Sections(Vec<Option<sections::Sections>>),
}

/// A derived column from its source's cleaned values: the trafficking flag
/// from the sections already parsed (never parsed a second time).
pub(super) fn derive(spec: &ColumnSpec, source: &Values, n: usize) -> Values {
    match (source, spec.ty) {
        (Values::Sections(items), ColumnType::Boolean) => {
            Values::Bool(items.iter().map(|s| s.as_ref().map(|p| p.trafficking)).collect())
        }
        _ => Values::Text(vec![None; n]),
    }
}

/// What one distinct raw value cleans to: the value, and the rule it broke
/// (with whether that finding is only ever a warning).
type Parsed<T> = (Option<T>, Option<(&'static str, bool)>);

/// Map each row's raw text through `parse`, once per distinct text. Most
/// columns (districts, codes, dates, sections) repeat a few hundred values
/// over a million rows, so each is parsed once; the findings are still
/// recorded row by row.
pub(super) fn parse_rows<'r, T: Clone>(
    rows: &[usize],
    value: impl Fn(usize) -> Option<&'r str>,
    mut flag: impl FnMut(usize, &'static str, bool),
    memoise: bool,
    mut parse: impl FnMut(&'r str) -> Parsed<T>,
) -> Vec<Option<T>> {
    let mut seen: HashMap<&'r str, Parsed<T>> = HashMap::new();
    rows.iter()
        .map(|&r| {
            let s = value(r)?;
            let (v, finding) = if memoise {
                seen.entry(s).or_insert_with(|| parse(s)).clone()
            } else {
                parse(s)
            };
            if let Some((rule, force_warning)) = finding {
                flag(r, rule, force_warning);
            }
            v
        })
        .collect()
}

/// A number written with a decimal comma and `.` grouping (`1.234.567,50`)
/// in the usual notation (`1,234,567.50`), for the amount and integer parsers.
/// Only a separator after a digit is swapped, so `Rs.` keeps its point.
pub(super) fn decimal_comma_to_point(s: &str) -> String {
    let s = digits::to_ascii_digits(s);
    let mut out = String::with_capacity(s.len());
    let mut after_digit = false;
    for c in s.chars() {
        out.push(match c {
            '.' if after_digit => ',',
            ',' if after_digit => '.',
            c => c,
        });
        after_digit = c.is_ascii_digit();
    }
    out
}

/// A sign that belongs to the letter before it in the Indic blocks
/// (Devanagari to Malayalam share one layout): candrabindu, anusvara and
/// visarga, nukta, vowel signs and virama, stress and length marks.
pub fn is_indic_mark(c: char) -> bool {
    let c = c as u32;
    (0x0900..=0x0DFF).contains(&c)
        && matches!((c - 0x0900) % 0x80, 0x00..=0x03 | 0x3A..=0x4F | 0x51..=0x57 | 0x62..=0x63)
}

/// Runs of white space folded to one space, allocating only when needed.
pub(super) fn fold_space(s: &str) -> String {
    let mut prev_space = false;
    let clean = s.chars().all(|c| {
        let ok = c == ' ' && !prev_space || !c.is_whitespace();
        prev_space = c.is_whitespace();
        ok
    });
    if clean && !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace) {
        s.to_string()
    } else {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

pub(super) fn clean_column<'r>(
    spec: &ColumnSpec,
    input: &Input<'r>,
    rows: &[usize],
    ctx: &FeedContext<'_>,
    issues: &mut Vec<Issue>,
) -> Values {
    let mut flag = |row: usize, rule: &'static str, force_warning: bool| {
        let severity = if spec.required && !force_warning {
            Severity::Error
        } else {
            Severity::Warning
        };
        issues.push(Issue {
            row_index: row,
            field: spec.name.clone(),
            rule,
            severity,
        });
    };
    // Blank required values are errors whatever the type.
    if spec.required {
        for &r in rows {
            if input.get(r).is_empty() {
                flag(r, "required", false);
            }
        }
    }
    let value = |r: usize| -> Option<&'r str> {
        let s = input.get(r);
        (!s.is_empty()).then_some(s)
    };
    let values_map = ctx.feed.values.get(&spec.name);
    if spec.privacy == Privacy::Direct {
        // Names and phones rarely repeat: not memoised.
        return Values::Text(parse_rows(rows, value, flag, false, |s| direct(spec, ctx, s)));
    }
    match spec.ty {
        ColumnType::Date => Values::Date(parse_rows(rows, value, flag, true, |s| date(spec, ctx, s))),
        ColumnType::AmountInr | ColumnType::Integer => {
            Values::Int(parse_rows(rows, value, flag, true, |s| number(spec, ctx, s)))
        }
        ColumnType::Boolean => {
            let book = CodeBook::for_boolean(values_map);
            Values::Bool(parse_rows(rows, value, flag, true, |s| match book.lookup(s) {
                Some(v) => (Some(v == "true"), None),
                None => (None, Some(("code.unknown", false))),
            }))
        }
        ColumnType::Enum => {
            let book = CodeBook::for_enum(spec, values_map);
            Values::Text(parse_rows(rows, value, flag, true, |s| match book.lookup(s) {
                Some(v) => (Some(v.to_string()), None),
                None => (None, Some(("code.unknown", false))),
            }))
        }
        // A partner's own identifier: published as a keyed pseudonym,
        // whatever it holds. A phone or a name used as the identifier (many
        // NGOs key clients by mobile number) is flagged for the data officer.
        ColumnType::Id if spec.is_pseudonymised_id() => Values::Text(parse_rows(rows, value, flag, false, |s| {
            let v = fold_space(s);
            let shape = identifier_shape(&v);
            (
                Some(ctx.pseudo.reference(ctx.partner_id, &v)),
                shape.map(|rule| (rule, true)),
            )
        })),
        ColumnType::Block | ColumnType::PoliceStation | ColumnType::Scheme | ColumnType::GramPanchayat => {
            let (list, rule) = match spec.ty {
                ColumnType::Block => (&ctx.reference.blocks, "place.unknown"),
                ColumnType::GramPanchayat => (&ctx.reference.gram_panchayats, "place.unknown"),
                ColumnType::PoliceStation => (&ctx.reference.police_stations, "place.unknown"),
                _ => (&ctx.reference.schemes, "scheme.unknown"),
            };
            Values::Text(parse_rows(rows, value, flag, true, |s| {
                match list.lookup(mapped(values_map, s)) {
                    Some(name) => (Some(name.to_string()), None),
                    None => (None, Some((rule, true))),
                }
            }))
        }
        // Free text is never published: its plaintext is kept for linkage
        // in the restricted area only.
        ColumnType::Text => Values::Text(vec![None; rows.len()]),
        ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit => {
            Values::Text(parse_rows(rows, value, flag, true, |s| {
                place(spec, ctx, mapped(values_map, s))
            }))
        }
        ColumnType::Sections => {
            Values::Sections(parse_rows(rows, value, flag, true, |s| match sections::parse_sections(
                s,
                &ctx.reference.acts,
            ) {
                Ok(p) => (Some(p), None),
                Err(sections::SectionsError::NoAct) => (None, Some(("sections.no_act", false))),
                Err(sections::SectionsError::Unrecognised) => (None, Some(("sections.unrecognised", false))),
            }))
        }
        // The partner's id (from its config), and direct types handled above.
        _ => Values::Text(rows.iter().map(|&r| value(r).map(fold_space)).collect()),
    }
}

/// A value as the partner's `values` map reads it, else as written.
fn mapped<'a>(values_map: Option<&'a std::collections::BTreeMap<String, String>>, s: &'a str) -> &'a str {
    values_map.and_then(|m| m.get(s)).map(String::as_str).unwrap_or(s)
}

/// A direct identifier (name, phone, address, identifier), normalised and
/// turned into its keyed token; a phone that is no mobile number flagged.
fn direct(spec: &ColumnSpec, ctx: &FeedContext<'_>, s: &str) -> Parsed<String> {
    let kind = match spec.ty {
        ColumnType::Phone => "phone",
        ColumnType::Address => "address",
        ColumnType::Id => "identifier",
        _ => "name",
    };
    let norm = match spec.ty {
        ColumnType::Phone => match phones::parse_phone(s) {
            Ok(p) => p,
            Err(_) => return (None, Some(("phone.not_mobile", true))),
        },
        ColumnType::Address => normalise_place(s),
        ColumnType::Id => normalise_identifier(s),
        _ => normalise_name(s),
    };
    ((!norm.is_empty()).then(|| ctx.pseudo.token(kind, &norm)), None)
}

/// A date: in the format the partner declared first, then the usual
/// notations.
fn date(spec: &ColumnSpec, ctx: &FeedContext<'_>, s: &str) -> Parsed<NaiveDate> {
    let declared = ctx
        .feed
        .formats
        .get(&spec.name)
        .map(String::as_str)
        .or(ctx.date_format)
        .and_then(|f| NaiveDate::parse_from_str(&digits::to_ascii_digits(s), f).ok());
    match declared.map(Ok).unwrap_or_else(|| dates::parse_date(s, ctx.style)) {
        // "31/12/9999" (an "unknown" sentinel) or a serial like 99999
        // names a real day, but not one a record can hold: kept, it
        // would add a financial year 9999-00 to every report.
        Ok(d) if spec.planned && (1900..=crate::config::schema::PLANNED_LAST_YEAR).contains(&d.year()) => {
            (Some(d), None)
        }
        Ok(d) if d.year() < 1900 || spec.planned || d > latest_date(ctx.today) => {
            (None, Some(("date.out_of_range", false)))
        }
        Ok(d) if d.year() < 1950 => (Some(d), Some(("date.unlikely", true))),
        Ok(d) => (Some(d), None),
        Err(DateError::Impossible) => (None, Some(("date.impossible", false))),
        Err(DateError::Unrecognised) => (None, Some(("date.unrecognised", false))),
    }
}

/// An amount in rupees or a whole number, within the column's range.
fn number(spec: &ColumnSpec, ctx: &FeedContext<'_>, s: &str) -> Parsed<i64> {
    // A decimal comma (`1.234,50`) read as the usual notation (`1,234.50`).
    let swapped;
    let s = if ctx.decimal_comma {
        swapped = decimal_comma_to_point(s);
        swapped.as_str()
    } else {
        s
    };
    let (parsed, bad, range) = if spec.ty == ColumnType::AmountInr {
        match amounts::parse_amount(s) {
            Ok(v) => (Some(v), "", "amount.range"),
            Err(amounts::AmountError::Negative) => (None, "amount.negative", ""),
            Err(_) => (None, "amount.unrecognised", ""),
        }
    } else {
        match codes::parse_integer(s) {
            Some(v) => (Some(v), "", "integer.range"),
            None => (None, "integer.unrecognised", ""),
        }
    };
    match parsed {
        None => (None, Some((bad, false))),
        Some(v) if spec.min.is_some_and(|m| v < m) || spec.max.is_some_and(|m| v > m) => (None, Some((range, false))),
        Some(v) => (Some(v), None),
    }
}

/// A district, state, police district or AHTU, by its gazetteer; a police
/// district beyond West Bengal by its state's.
fn place(spec: &ColumnSpec, ctx: &FeedContext<'_>, s: &str) -> Parsed<String> {
    let r = ctx.reference;
    let found = match spec.ty {
        ColumnType::District => r.districts.lookup(s),
        ColumnType::State => r.states.lookup(s),
        ColumnType::PoliceDistrict => r
            .police_districts
            .lookup(s)
            .or_else(|| r.police_district_beyond_west_bengal(s)),
        _ => r.ahtu_unit(s),
    };
    match found {
        Some(name) => (Some(name.to_string()), None),
        None => (None, Some(("place.unknown", true))),
    }
}

/// Whether an identifier looks like a phone number or a name: a rule id to
/// flag it with, for the data officer (it is published as a pseudonym
/// either way).
pub(super) fn identifier_shape(v: &str) -> Option<&'static str> {
    if phones::parse_phone(v).is_ok() {
        return Some("id.phone_shaped");
    }
    let letters = v.chars().filter(|c| c.is_alphabetic() || is_indic_mark(*c)).count();
    let wordy = v
        .chars()
        .all(|c| c.is_alphabetic() || is_indic_mark(c) || matches!(c, ' ' | '.' | '\'' | '-'));
    (wordy && letters >= 4).then_some("id.name_shaped")
}

pub(super) fn to_column(name: &str, v: Values, keep: &[bool]) -> Column {
    pub(super) fn kept<T>(v: Vec<Option<T>>, keep: &[bool]) -> Vec<Option<T>> {
        v.into_iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()
    }
    let name: PlSmallStr = name.into();
    match v {
        Values::Text(v) => Column::new(name, kept(v, keep)),
        Values::Int(v) => Column::new(name, kept(v, keep)),
        Values::Bool(v) => Column::new(name, kept(v, keep)),
        Values::Sections(v) => {
            let text: Vec<Option<String>> = kept(v, keep).into_iter().map(|s| s.map(|p| p.normalised())).collect();
            Column::new(name, text)
        }
        Values::Date(v) => {
            let days: Vec<Option<i32>> = kept(v, keep).into_iter().map(|d| d.map(days_since_epoch)).collect();
            Column::new(name, days)
                .cast(&DataType::Date)
                .expect("i32 casts to Date")
        }
    }
}
