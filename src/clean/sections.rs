//! Acts and sections from free text ("u/s 370/372/120B IPC", "143 BNS",
//! "POCSO 6"): the parser is in `tafteesh-parsers` (where it is fuzzed);
//! these tests run it on the shipped reference, `schemas/reference/sections.toml`.

pub use tafteesh_parsers::sections::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Model;

    fn parse(s: &str) -> (String, bool) {
        let m = Model::load().unwrap();
        let p = parse_sections(s, &m.reference.acts).unwrap();
        (p.normalised(), p.trafficking)
    }

    #[test]
    fn forms_seen_in_records() {
        assert_eq!(
            parse("u/s 370/372/120B IPC"),
            ("IPC 120B; IPC 370; IPC 372".into(), true)
        );
        assert_eq!(
            parse("370, 372 IPC r/w 120B"),
            ("IPC 120B; IPC 370; IPC 372".into(), true)
        );
        assert_eq!(parse("Sec 5 ITPA"), ("ITPA 5".into(), true));
        assert_eq!(parse("143 BNS"), ("BNS 143".into(), true));
        assert_eq!(parse("POCSO 6"), ("POCSO 6".into(), false));
        assert_eq!(
            parse("IPC 370, 372 and POCSO 6"),
            ("IPC 370; IPC 372; POCSO 6".into(), true)
        );
        assert_eq!(parse("u/s 366A IPC & 4 POCSO Act"), ("IPC 366A; POCSO 4".into(), true));
        assert_eq!(parse("137(2) BNS"), ("BNS 137(2)".into(), false));
        assert_eq!(parse("u/s 363/366 IPC"), ("IPC 363; IPC 366".into(), false));
        assert_eq!(parse("ধারা ৩৭০ IPC"), ("IPC 370".into(), true));
    }

    #[test]
    fn no_act_is_an_error() {
        let m = Model::load().unwrap();
        assert_eq!(parse_sections("370/372", &m.reference.acts), Err(SectionsError::NoAct));
        assert_eq!(
            parse_sections("not known", &m.reference.acts),
            Err(SectionsError::Unrecognised)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let m = Model::load().unwrap();
            let _ = parse_sections(&s, &m.reference.acts);
        }

        /// Strings made of what section lists are made of reach the deeper paths.
        #[test]
        fn never_panics_on_section_like_text(s in "(u/s|Sec\\.?|IPC|BNS|ITPA|POCSO|r/w|[0-9]{1,3}[A-B]?|[/,&() ]){0,12}") {
            let m = Model::load().unwrap();
            let _ = parse_sections(&s, &m.reference.acts);
        }
    }
}
