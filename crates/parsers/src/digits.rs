//! Bengali digits (U+09E6..U+09EF) to ASCII, so every numeric parser sees
//! one alphabet of digits.

use std::borrow::Cow;

/// Replace Bengali digits with ASCII ones; borrows when there are none.
pub fn to_ascii_digits(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_bengali_digit) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_bengali_digit(c) {
                    char::from(b'0' + (c as u32 - 0x09E6) as u8)
                } else {
                    c
                }
            })
            .collect(),
    )
}

fn is_bengali_digit(c: char) -> bool {
    ('\u{09E6}'..='\u{09EF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bengali_digits_become_ascii() {
        assert_eq!(to_ascii_digits("০৫/০৩/২০২১"), "05/03/2021");
        assert_eq!(to_ascii_digits("৯৮৭৬৫ ৪৩২১০"), "98765 43210");
        assert!(matches!(to_ascii_digits("12/03/2021"), Cow::Borrowed(_)));
    }
}
