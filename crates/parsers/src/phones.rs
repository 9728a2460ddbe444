//! Indian mobile numbers: ten digits starting 6-9, optionally behind +91, 91
//! or 0, with spaces, dashes or brackets, in ASCII or Bengali digits. Output
//! is `+91XXXXXXXXXX`. Landlines and junk are errors; the caller flags them
//! without ever logging the number.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Not a ten-digit Indian mobile (a landline, too short, letters).
    NotAMobile,
}

pub fn parse_phone(raw: &str) -> Result<String, PhoneError> {
    let s = crate::digits::to_ascii_digits(raw.trim());
    let mut digits = String::with_capacity(13);
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' | '+' => {}
            _ => return Err(PhoneError::NotAMobile),
        }
    }
    // Excel turns long numbers into floats: "9876543210.0" loses nothing.
    let digits = if s.ends_with(".0") {
        &digits[..digits.len() - 1]
    } else {
        &digits[..]
    };
    let ten = match digits.len() {
        10 => digits,
        11 if digits.starts_with('0') => &digits[1..],
        12 if digits.starts_with("91") => &digits[2..],
        13 if digits.starts_with("091") => &digits[3..],
        _ => return Err(PhoneError::NotAMobile),
    };
    if !matches!(ten.as_bytes()[0], b'6'..=b'9') {
        return Err(PhoneError::NotAMobile);
    }
    Ok(format!("+91{ten}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_forms() {
        for s in [
            "9876543210",
            "+91 98765 43210",
            "91-9876543210",
            "09876543210",
            "(+91) 98765-43210",
            "৯৮৭৬৫৪৩২১০",
            "9876543210.0",
        ] {
            assert_eq!(parse_phone(s).as_deref(), Ok("+919876543210"), "{s}");
        }
    }

    #[test]
    fn landlines_and_junk() {
        for s in [
            "033 2555 1234",
            "12345",
            "98765432",
            "not available",
            "5876543210",
            "+1 415 555 0100",
        ] {
            assert_eq!(parse_phone(s), Err(PhoneError::NotAMobile), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_phone(&s);
        }
    }
}
