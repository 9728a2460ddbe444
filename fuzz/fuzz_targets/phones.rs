//! Any text: `parse_phone` gives +91 and ten digits starting 6-9, or a
//! reason, never panics; its output parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tafteesh_parsers::phones::parse_phone;

fuzz_target!(|text: &str| {
    if let Ok(p) = parse_phone(text) {
        let digits = p.strip_prefix("+91").expect("normalised to +91");
        assert_eq!(digits.len(), 10);
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(matches!(digits.as_bytes()[0], b'6'..=b'9'));
        assert_eq!(parse_phone(&p).as_deref(), Ok(p.as_str()), "idempotent");
    }
});
