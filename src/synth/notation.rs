//! Notation renderers: how a partner writes a date, an amount, a phone,
//! legal sections and a name, by its style.

use super::*;

impl Writer<'_> {
    pub(super) fn digits(&mut self, s: String) -> String {
        if self.rng.random_bool(self.style.bengali_digits) {
            s.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0x09E6 + (c as u32 - '0' as u32)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            s
        }
    }

    pub(super) fn date(&mut self, d: NaiveDate) -> Cell {
        if let Some(f) = &self.date_format {
            return Cell::S(d.format(f).to_string());
        }
        let fmt = *self
            .style
            .dates
            .choose_weighted(&mut self.rng, |x| x.1)
            .expect("non-empty");
        let serial = (d - NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")).num_days();
        let s = match fmt.0 {
            DateFmt::DmySlash => d.format("%d/%m/%Y").to_string(),
            DateFmt::DmyDash => d.format("%d-%m-%Y").to_string(),
            DateFmt::DmyDot => d.format("%d.%m.%Y").to_string(),
            DateFmt::DmyShort => d.format("%-d/%-m/%y").to_string(),
            DateFmt::Iso => d.format("%Y-%m-%d").to_string(),
            DateFmt::Mdy => d.format("%m/%d/%Y").to_string(),
            DateFmt::MonAbbr => d.format("%d-%b-%y").to_string(),
            DateFmt::Ordinal => format!("{}{} {}", d.day(), ordinal(d.day()), d.format("%B %Y")),
            DateFmt::SerialText => serial.to_string(),
            DateFmt::DateCell => return Cell::D(d),
            DateFmt::NumberCell => return Cell::N(serial as f64),
        };
        Cell::S(self.digits(s))
    }

    pub(super) fn amount(&mut self, a: i64) -> Cell {
        let fmt = self
            .style
            .amounts
            .choose_weighted(&mut self.rng, |x| x.1)
            .expect("non-empty")
            .0;
        let lakh = a as f64 / 100_000.0;
        let s = match fmt {
            AmountFmt::Plain => a.to_string(),
            AmountFmt::Rs => format!("Rs. {}/-", tafteesh_parsers::amounts::indian_grouping(a)),
            AmountFmt::Rupee => format!("₹{}", tafteesh_parsers::amounts::indian_grouping(a)),
            AmountFmt::Lakh if a % 1000 == 0 && a >= 10_000 => format!("{} lakh", trim_float(lakh)),
            AmountFmt::Lac if a % 1000 == 0 && a >= 10_000 => format!("{} lac", trim_float(lakh)),
            AmountFmt::Inr => format!("INR {a}"),
            AmountFmt::NumberCell => return Cell::N(a as f64),
            AmountFmt::Lakh | AmountFmt::Lac => a.to_string(),
        };
        Cell::S(self.digits(s))
    }

    pub(super) fn sections(&mut self, items: &[(&'static str, &'static str)]) -> String {
        let mut acts: Vec<&str> = items.iter().map(|(a, _)| *a).collect();
        acts.dedup();
        let group = |act: &str| {
            items
                .iter()
                .filter(|(a, _)| *a == act)
                .map(|(_, s)| *s)
                .collect::<Vec<_>>()
        };
        let style = self.rng.random_range(0..4);
        let parts: Vec<String> = acts
            .iter()
            .map(|act| {
                let secs = group(act);
                let label = match *act {
                    "ITPA" => *["ITPA", "IT(P) Act", "PITA"].choose(&mut self.rng).expect("non-empty"),
                    "POCSO" => *["POCSO", "POCSO Act"].choose(&mut self.rng).expect("non-empty"),
                    a => a,
                };
                match style {
                    0 => format!("u/s {} {label}", secs.join("/")),
                    1 => format!("{label} {}", secs.join(", ")),
                    2 => format!("Sec {} {label}", secs.join("/")),
                    _ => format!("{} {label}", secs.join(", ")),
                }
            })
            .collect();
        parts.join(if style == 1 { " and " } else { " & " })
    }

    pub(super) fn name(&mut self, given: (&str, &str), surname: (&str, &str), guardian: bool, female: bool) -> String {
        let s = self.style;
        if self.rng.random_bool(s.bengali) {
            return format!("{} {}", given.1, surname.1);
        }
        let variant = |w: &str, rng: &mut ChaCha8Rng| -> String {
            match VARIANTS.iter().find(|(k, _)| *k == w) {
                Some((_, vs)) if rng.random_bool(s.name_variant) => vs.choose(rng).expect("non-empty").to_string(),
                _ => w.to_string(),
            }
        };
        let mut g = variant(given.0, &mut self.rng);
        let mut f = variant(surname.0, &mut self.rng);
        if self.rng.random_bool(s.typo) {
            let word = if self.rng.random_bool(0.6) { &mut g } else { &mut f };
            *word = typo(word, &mut self.rng);
        }
        let mut out = if self.rng.random_bool(s.swap) {
            format!("{f} {g}")
        } else {
            format!("{g} {f}")
        };
        if self.rng.random_bool(s.honorific) {
            let prefix = if guardian {
                "D/o"
            } else if female {
                ["Smt.", "Kumari", "Mst."].choose(&mut self.rng).expect("non-empty")
            } else {
                "Sri"
            };
            out = format!("{prefix} {out}");
        }
        if s.upper { out.to_uppercase() } else { out }
    }
}

/// Keys near each other on a QWERTY keyboard, for a slip of the finger.
const NEAR_KEYS: &[&str] = &[
    "qwas", "vghn", "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko", "huikmn", "jiolm", "kop", "njk",
    "bhjm", "iklp", "ol", "wa", "edft", "awedxz", "rfgy", "yhji", "cfgb", "qase", "zsdc", "tghu", "asx",
];

/// `word` with one keying slip, as a data-entry operator makes it: a
/// neighbouring key, a letter dropped or doubled, or two letters swapped.
/// One slip in twelve hits the first letter (a neighbouring key); the
/// rest fall later in the word (studies of keyed names find the first
/// letter wrong far less often than any other). A word of three letters
/// or fewer is left alone.
pub(super) fn typo(word: &str, rng: &mut ChaCha8Rng) -> String {
    let mut c: Vec<char> = word.chars().collect();
    if c.len() <= 3 || !word.is_ascii() {
        return word.to_string();
    }
    let first = rng.random_bool(1.0 / 12.0);
    let at = if first { 0 } else { rng.random_range(1..c.len()) };
    match if first { 0 } else { rng.random_range(0..4) } {
        0 => {
            let lower = c[at].to_ascii_lowercase();
            if let Some(near) = lower
                .is_ascii_lowercase()
                .then(|| NEAR_KEYS[(lower as u8 - b'a') as usize])
            {
                let k = near.as_bytes()[rng.random_range(0..near.len())] as char;
                c[at] = if c[at].is_ascii_uppercase() {
                    k.to_ascii_uppercase()
                } else {
                    k
                };
            }
        }
        1 => {
            c.remove(at);
        }
        2 => c.insert(at, c[at]),
        _ => {
            let j = at.max(2);
            c.swap(j - 1, j);
        }
    }
    c.into_iter().collect()
}

pub(super) fn ordinal(d: u32) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

pub(super) fn trim_float(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(super) fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
