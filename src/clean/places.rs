//! Place spellings the gazetteer lacks: kept for the data officer in the
//! restricted area, published only as their [`shape`].

/// A spelling of a district, police district, AHTU unit or state that the
/// gazetteer lacks. A real place name is not personal, but what sits in a
/// place cell is whatever was typed there (a name, a phone, a village), so
/// `written` stays in the restricted area and only its [`shape`] is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlace {
    pub field: String,
    pub written: String,
    pub records: usize,
}

/// The shape of a text, for publishing what kind of thing was written
/// without what: Latin capitals `A`, small letters `a`, letters of other
/// scripts `x` (ASCII, so it shows without a Bengali font), digits of any
/// script `9`; spaces and punctuation as they are.
/// `Murshidbd` -> `Aaaaaaaaa`, a phone -> `9999999999`.
pub fn shape(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some('A'),
            'a'..='z' => Some('a'),
            c if c.is_numeric() => Some('9'),
            // Vowel signs and viramas of Indic scripts belong to a letter.
            c if super::column::is_indic_mark(c) => None,
            c if c.is_alphabetic() => Some('x'),
            c if c.is_whitespace() => Some(' '),
            c if c.is_control() => Some('?'),
            c => Some(c),
        })
        .collect()
}
