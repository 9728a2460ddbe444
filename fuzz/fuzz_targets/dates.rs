//! Any text, under each date order and Excel date system: `parse_date`
//! returns a date or a reason, never panics; a date it returns is a real
//! calendar date that parses to itself again when written as ISO.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tafteesh_parsers::dates::{DateOrder, DateStyle, parse_date};

fuzz_target!(|data: &[u8]| {
    let Some((&knob, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let order = [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd][usize::from(knob % 3)];
    let excel_system = if knob & 0x80 == 0 { 1900 } else { 1904 };
    let style = DateStyle { order, excel_system };
    if let Ok(d) = parse_date(text, style) {
        let iso = d.format("%Y-%m-%d").to_string();
        assert_eq!(parse_date(&iso, style), Ok(d), "ISO round trip");
    }
});
