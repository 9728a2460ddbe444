//! Keys for matching written names of places, codes and acts.

/// Normalised lookup key: lower case, ASCII digits, punctuation and runs of
/// space folded, so `N. 24 Pgs`, `n 24 pgs` and `N-24-PGS` meet.
pub fn place_key(s: &str) -> String {
    let s = crate::digits::to_ascii_digits(s);
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars() {
        if ch.is_alphanumeric() || is_bengali_mark(ch) {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(ch.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// Bengali vowel signs and the virama are not `alphanumeric` but are part of words.
fn is_bengali_mark(ch: char) -> bool {
    ('\u{0980}'..='\u{09FF}').contains(&ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_meet() {
        assert_eq!(place_key("N. 24 Pgs"), "n 24 pgs");
        assert_eq!(place_key("N-24-PGS"), "n 24 pgs");
        assert_eq!(place_key("উত্তর ২৪ পরগনা"), "উত্তর 24 পরগনা");
    }
}
