//! `tafteesh onboard`: profile an export no pipeline reads yet, and draft
//! the partner's pipeline config from it.
//!
//! A data officer with a new partner's export should not start from a blank
//! file. The profile finds what the readers would (encoding, delimiter, the
//! header row below any title rows, the sheets of a workbook) and, for each
//! column, how full it is and what its values look like. It prints shapes
//! and counts only (`Aaaa Aaaaa`, `9999999999`): an export holds names and
//! phones, and a terminal, a scroll-back buffer and a pasted e-mail are not
//! the restricted area. Only the values of coded columns (few distinct
//! values, each repeated, mapped to an enumerated or yes/no column) are
//! shown, because a code is not personal and the officer must map it.
//!
//! The draft maps the headers it recognises (each schema column lists the
//! headers partners write for it, English and Bengali, in `headers`),
//! checked against the values' shapes; it says which table each column
//! feeds, adds a row condition when one row holds a survivor and her case
//! (a wide export), proposes value maps for codes the schema does not know,
//! and lists what it left unmapped. Everything it could not decide is a
//! comment starting `# DECIDE:` and a line of the command's output; the
//! draft is valid TOML, and `tafteesh validate` says what is still missing.

mod draft;
mod profile;

pub use draft::{Draft, Lies, draft, percent};
pub use profile::{ColumnProfile, Kind, Profile, kind_of, profile};

/// A header as onboarding compares it: the last part of a Kobo group path
/// (`Survivor details/Name` -> `name`), lower case, punctuation as spaces.
pub fn header_key(h: &str) -> String {
    let last = h.rsplit(['/', ':']).find(|p| !p.trim().is_empty()).unwrap_or(h);
    tafteesh_parsers::text::place_key(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_compared_without_its_group_path_case_or_punctuation() {
        assert_eq!(header_key("Survivor details/Name of survivor"), "name of survivor");
        assert_eq!(header_key("survivor:Mobile_No."), "mobile no");
        assert_eq!(header_key("পিতার নাম"), "পিতার নাম");
        assert_eq!(header_key("group/"), "group");
    }

    #[test]
    fn shapes_decide_a_kind_and_a_small_number_is_not_a_date() {
        let m = crate::config::Model::load().unwrap();
        let style = tafteesh_parsers::dates::DateStyle {
            order: tafteesh_parsers::dates::DateOrder::Dmy,
            excel_system: 1900,
        };
        let k = |s: &str| kind_of(s, &m.reference, style);
        assert_eq!(k("23"), Kind::Integer);
        assert_eq!(k("44927"), Kind::Date, "an Excel serial");
        assert_eq!(k("14/03/2021"), Kind::Date);
        assert_eq!(k("98765 43210"), Kind::Phone);
        assert_eq!(k("Rs. 1,50,000/-"), Kind::Amount);
        assert_eq!(k("Purbi Singhbhum"), Kind::District);
        assert_eq!(k("370/372 IPC"), Kind::Sections);
        assert_eq!(k("Testperson Bibi"), Kind::Text);
    }
}
