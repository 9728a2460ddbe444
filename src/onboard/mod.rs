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

pub use draft::{Draft, draft};
pub use profile::{ColumnProfile, Kind, Profile, profile};

/// A header as onboarding compares it: the last part of a Kobo group path
/// (`Survivor details/Name` -> `name`), lower case, punctuation as spaces.
pub fn header_key(h: &str) -> String {
    let last = h.rsplit(['/', ':']).find(|p| !p.trim().is_empty()).unwrap_or(h);
    tafteesh_parsers::text::place_key(last)
}
