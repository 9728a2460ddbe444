//! Rupee amounts as partners write them: "Rs. 50,000/-", "₹1,00,000",
//! "INR 75000", "1.5 lakh", "2 lac", "1 cr", "50k", Bengali digits. Returns
//! whole rupees (paise are rounded). Words that are not amounts are errors,
//! never zero.

/// Whole rupees written with Indian grouping (12,34,567), as the reports
/// print them and as partners write them.
pub fn indian_grouping(n: i64) -> String {
    let neg = n < 0;
    let s = n.unsigned_abs().to_string();
    let out = if s.len() <= 3 {
        s
    } else {
        let (head, tail) = s.split_at(s.len() - 3);
        let mut groups: Vec<&str> = Vec::new();
        let mut h = head;
        while h.len() > 2 {
            groups.push(&h[h.len() - 2..]);
            h = &h[..h.len() - 2];
        }
        if !h.is_empty() {
            groups.push(h);
        }
        groups.reverse();
        format!("{},{tail}", groups.join(","))
    };
    if neg { format!("-{out}") } else { out }
}

/// Why an amount could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    Unrecognised,
    Negative,
}

/// Parse one written amount into whole rupees.
pub fn parse_amount(raw: &str) -> Result<i64, AmountError> {
    let s = crate::digits::to_ascii_digits(raw.trim()).to_lowercase();
    let mut s = s.as_str().trim();
    for prefix in ["rs.", "rs", "inr", "₹", "rupees", "re."] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
            break;
        }
    }
    s = s.trim_end_matches("/-").trim_end_matches(['/', '-']).trim();
    for suffix in ["only", "rupees", "rs.", "rs", "inr", "/-"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest.trim_end();
        }
    }
    let negative = s.starts_with('-') || (s.starts_with('(') && s.ends_with(')'));
    let s = s
        .trim_start_matches('-')
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = (s[..num_end].replace(',', ""), s[num_end..].trim());
    if num.is_empty() || num.matches('.').count() > 1 {
        return Err(AmountError::Unrecognised);
    }
    let value: f64 = num.parse().map_err(|_| AmountError::Unrecognised)?;
    let multiplier = match unit.trim_end_matches('.') {
        "" => 1.0,
        "k" | "thousand" | "hajar" | "hazar" => 1_000.0,
        "lakh" | "lakhs" | "lac" | "lacs" | "l" | "lk" | "lakh rupees" | "লাখ" | "লক্ষ" => 100_000.0,
        "cr" | "crore" | "crores" | "কোটি" => 10_000_000.0,
        _ => return Err(AmountError::Unrecognised),
    };
    if negative {
        return Err(AmountError::Negative);
    }
    let rupees = (value * multiplier).round();
    if !rupees.is_finite() || rupees > 1e15 {
        return Err(AmountError::Unrecognised);
    }
    Ok(rupees as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms() {
        let cases = [
            ("Rs. 50,000/-", 50_000),
            ("Rs 50000", 50_000),
            ("₹1,00,000", 100_000),
            ("₹ 1,00,000.00", 100_000),
            ("INR 75000", 75_000),
            ("1.5 lakh", 150_000),
            ("2 lac", 200_000),
            ("1 cr", 10_000_000),
            ("Rs. 3 Lakhs only", 300_000),
            ("৫০,০০০", 50_000),
            ("২ লাখ", 200_000),
            ("50k", 50_000),
            ("0", 0),
        ];
        for (s, want) in cases {
            assert_eq!(parse_amount(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn junk_and_negatives_are_errors() {
        assert_eq!(parse_amount("-5000"), Err(AmountError::Negative));
        assert_eq!(parse_amount("pending"), Err(AmountError::Unrecognised));
        assert_eq!(parse_amount("Rs."), Err(AmountError::Unrecognised));
        assert_eq!(parse_amount("1.2.3"), Err(AmountError::Unrecognised));
        assert_eq!(parse_amount("5 goats"), Err(AmountError::Unrecognised));
    }

    #[test]
    fn rupees_in_indian_grouping() {
        assert_eq!(indian_grouping(0), "0");
        assert_eq!(indian_grouping(999), "999");
        assert_eq!(indian_grouping(1000), "1,000");
        assert_eq!(indian_grouping(100000), "1,00,000");
        assert_eq!(indian_grouping(1234567), "12,34,567");
        assert_eq!(indian_grouping(6575000), "65,75,000");
        assert_eq!(indian_grouping(-150000), "-1,50,000");
    }

    proptest::proptest! {
        #[test]
        fn indian_grouping_round_trips(n in 0i64..100_000_000) {
            proptest::prop_assert_eq!(parse_amount(&format!("Rs. {}/-", indian_grouping(n))), Ok(n));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_amount(&s);
        }

        /// Strings made of what amounts are made of (digits of both scripts,
        /// separators, lakh and crore words, rupee signs) reach the deeper paths.
        #[test]
        fn never_panics_on_amount_like_text(s in "(Rs\\.?|₹|INR| |[0-9০-৯]{1,9}|[.,]|lakh|lac|cr|crore|/-){0,8}") {
            let _ = parse_amount(&s);
        }
    }
}
