//! Any text: `parse_amount` returns whole rupees or a reason, never panics
//! (no overflow on "99999999999 crore"), and never a negative amount.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tafteesh_parsers::amounts::parse_amount;

fuzz_target!(|text: &str| {
    if let Ok(v) = parse_amount(text) {
        assert!(v >= 0, "amounts are never negative");
    }
});
