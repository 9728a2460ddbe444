//! Names as linkage compares them.
//!
//! The same woman is "Rahima Khatun" to one partner, "KHATOON RAHIMA" to a
//! second, "Smt. Rahima Katun" to a third and "রহিমা খাতুন" to a fourth.
//! A name becomes: Bengali script transliterated (any_ascii), lower case,
//! honorifics and relation markers dropped, known spelling variants folded
//! (Khatoon → khatun, Mandal → mondal, Sheikh → sk, Mohd → md), tokens
//! sorted (so given name and surname may come in either order), and a
//! consonant skeleton of each token (vowels after the first letter dropped,
//! aspirates and doubled letters folded), which is what survives
//! transliteration: "rhima" (from রহিমা) and "rahima" share `rhm`.

/// Honorifics and relation markers: not part of the name.
const DROP: [&str; 16] = [
    "smt", "sri", "shri", "srimati", "mst", "mrs", "ms", "mr", "kumari", "km", "d/o", "w/o", "s/o", "c/o", "late", "lt",
];

/// Spelling variants -> one form. Not a translation: only spellings of the same name.
const VARIANTS: &[(&str, &str)] = &[
    ("khatoon", "khatun"),
    ("katun", "khatun"),
    ("khaton", "khatun"),
    ("mandal", "mondal"),
    ("mondol", "mondal"),
    ("mandol", "mondal"),
    ("sheikh", "sk"),
    ("shaikh", "sk"),
    ("seikh", "sk"),
    ("shekh", "sk"),
    ("sekh", "sk"),
    ("shk", "sk"),
    ("mohammad", "md"),
    ("mohammed", "md"),
    ("muhammad", "md"),
    ("mohd", "md"),
    ("mahammad", "md"),
    ("dass", "das"),
    ("ray", "roy"),
    ("begam", "begum"),
    ("mollah", "molla"),
    ("mulla", "molla"),
    ("ghazi", "gazi"),
    ("haldar", "halder"),
    ("nashkar", "naskar"),
    ("bishwas", "biswas"),
    ("sarder", "sardar"),
];

/// A name prepared for comparison. Holds plaintext: it lives only in memory
/// in the linkage stage and is never written out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKey {
    /// Canonical tokens, sorted, joined by one space.
    pub canonical: String,
    /// The consonant skeleton of each token, sorted, joined by one space.
    pub skeleton: String,
}

impl NameKey {
    /// `None` for a blank or honorific-only name.
    pub fn new(raw: &str) -> Option<NameKey> {
        Self::from_tokens(tokens(raw))
    }

    /// The name's first and last tokens as written (given name and
    /// surname in the usual order), each prepared like a name; the last is
    /// `None` for a one-word name.
    pub fn given_and_surname(raw: &str) -> (Option<NameKey>, Option<NameKey>) {
        let mut t = tokens(raw);
        let last = (t.len() > 1).then(|| t.pop()).flatten();
        let first = t.into_iter().next();
        (
            first.and_then(|f| Self::from_tokens(vec![f])),
            last.and_then(|l| Self::from_tokens(vec![l])),
        )
    }

    fn from_tokens(mut tokens: Vec<String>) -> Option<NameKey> {
        if tokens.is_empty() {
            return None;
        }
        tokens.sort();
        let mut skeletons: Vec<String> = tokens.iter().map(|t| skeleton(t)).collect();
        skeletons.sort();
        Some(NameKey {
            canonical: tokens.join(" "),
            skeleton: skeletons.join(" "),
        })
    }
}

/// A name's tokens as written: transliterated, lower case, honorifics and
/// relation markers dropped, spelling variants folded.
fn tokens(raw: &str) -> Vec<String> {
    let latin = any_ascii::any_ascii(&bengali_latin(raw)).to_lowercase();
    latin
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-')
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/'))
        .filter(|w| !w.is_empty())
        .filter(|w| !DROP.contains(&w.trim_end_matches('.')))
        .map(|w| w.replace(|c: char| !c.is_ascii_alphanumeric(), ""))
        .filter(|w| !w.is_empty())
        .map(initial_y)
        .map(|w| {
            VARIANTS
                .iter()
                .find(|(from, _)| *from == w)
                .map_or(w.clone(), |(_, to)| to.to_string())
        })
        .collect()
}

/// Bengali writes an initial "Ya" or "Yu" as a vowel and a glide: ইয়াসমিন
/// is "iyasmin" and ইউনুস "iunus" in any_ascii, Yasmin and Yunus in Latin.
fn initial_y(w: String) -> String {
    if w.starts_with("iy") && w.len() > 2 {
        w[1..].to_string()
    } else if let Some(rest) = w.strip_prefix("iu") {
        format!("yu{rest}")
    } else {
        w
    }
}

/// Bengali letters any_ascii writes otherwise than Latin spellings of
/// names do, in one pass (a name with no Bengali letter is not copied):
/// - chandrabindu (ঁ) marks a nasal vowel Latin spellings leave out
///   (ভুঁইয়া is Bhuiya), where any_ascii writes an m;
/// - চ is the ch of Champa, where any_ascii writes a bare c, which the
///   skeleton reads as a k (Sircar); ফ is the f of ফাতেমা, Fatema, where
///   any_ascii writes "ph";
/// - ব-phala (virama + ব) after a consonant is the w: স্বপন is Swapan and
///   বিশ্বাস is Biswas, where any_ascii writes "sbpn" and "bishbas". After
///   র (the reph of পার্বতী, Parbati), ম (অম্বিকা, Ambika) and ব itself it
///   is a real b, and is left alone;
/// - য on its own is a j (যমুনা is Jamuna, যশোদা Jashoda); as a phala
///   (after a virama) or with a nukta (য়) it is the y it is written as;
/// - ং is the n of Sangita and Bangla, where any_ascii writes an m;
/// - ড় and ঢ় are the r and rh of Parui, where any_ascii writes a d.
fn bengali_latin(raw: &str) -> std::borrow::Cow<'_, str> {
    const VIRAMA: char = '\u{09CD}';
    const NUKTA: char = '\u{09BC}';
    const BA: char = '\u{09AC}';
    const YA: char = '\u{09AF}';
    if !raw.chars().any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < chars.len() {
        let (c, next, prev) = (chars[i], chars.get(i + 1).copied(), i.checked_sub(1).map(|p| chars[p]));
        // (the Latin, how many letters it stands for); None keeps the letter.
        let (latin, letters) = match c {
            '\u{0981}' => (Some(""), 1),
            '\u{099A}' => (Some("ch"), 1),
            '\u{09AB}' => (Some("f"), 1),
            VIRAMA if next == Some(BA) && prev.is_some_and(|p| !matches!(p, '\u{09B0}' | '\u{09AE}' | BA)) => {
                (Some("w"), 2)
            }
            YA if next == Some(NUKTA) => (Some("y"), 2),
            YA if prev != Some(VIRAMA) => (Some("j"), 1),
            '\u{0982}' => (Some("n"), 1),
            '\u{09DC}' => (Some("r"), 1),
            '\u{09DD}' => (Some("rh"), 1),
            '\u{09A1}' if next == Some(NUKTA) => (Some("r"), 2),
            '\u{09A2}' if next == Some(NUKTA) => (Some("rh"), 2),
            _ => (None, 1),
        };
        match latin {
            Some(l) => out.push_str(l),
            None => out.push(c),
        }
        i += letters;
    }
    std::borrow::Cow::Owned(out)
}

/// The consonant skeleton of one token: first letter kept, later vowels
/// and `h` dropped (kh, th, bh, sh, and the h that Bengali transliteration
/// writes or leaves out: রহিমা is "rhima"), similar sounds
/// folded (v → b, a first w → b and a later one a vowel, z → j, q → k,
/// ck and a c outside ch → k, ph → f, x → ks), runs of one letter collapsed.
pub fn skeleton(token: &str) -> String {
    let b = token.as_bytes();
    let mut out = String::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        let c = match c {
            // After the first letter, w is the glide Bengali writes as
            // ওয় (Anwar, Anowar, আনোয়ার "anoyar"): a vowel here.
            b'w' if i > 0 => b'a',
            b'v' | b'w' => b'b',
            b'z' => b'j',
            b'q' => b'k',
            b'y' if i > 0 => b'i',
            // Mallick and Mallik: "ck" is one k.
            b'c' if b.get(i + 1) == Some(&b'k') => continue,
            // Sircar and Sarkar: a c that is not the c of ch is a k.
            b'c' if b.get(i + 1) != Some(&b'h') => b'k',
            c => c,
        };
        let vowel = matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
        if i > 0 && vowel {
            continue;
        }
        if c == b'h' && i > 0 {
            if b[i - 1] == b'p' {
                out.pop();
                out.push('f');
            }
            continue;
        }
        // x is k and s: Laxmi, Lakshmi and Luxmi are one name.
        if c == b'x' {
            if !out.ends_with('k') {
                out.push('k');
            }
            out.push('s');
            continue;
        }
        let ch = if i == 0 && vowel { 'a' } else { c as char };
        if out.ends_with(ch) {
            continue;
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bengali_script_and_latin_spellings_share_a_skeleton() {
        for (a, b) in [
            ("শেফালী ভুঁইয়া", "Shefali Bhuiya"),
            ("আনোয়ার সর্দার", "Anwar Sardar"),
            ("Anowar Sardar", "Anwar Sarder"),
            ("Rina Mallick", "Rina Mallik"),
            ("জাহানারা বেগম", "Jahanara Begam"),
            ("স্বপন বিশ্বাস", "Swapan Biswas"),
            ("সরস্বতী বিশ্বাস", "Saraswati Bishwas"),
            ("পার্বতী", "Parbati"),
            ("অম্বিকা", "Ambika"),
            ("ইয়াসমিন", "Yasmin"),
            ("ইউনুস", "Yunus"),
            ("যমুনা", "Jamuna"),
            ("যশোদা", "Jashoda"),
            ("সংগীতা", "Sangita"),
            ("পাড়ুই", "Parui"),
            ("জ্যোৎস্না", "Jyotsna"),
            ("আয়েশা", "Ayesha"),
            ("Rumana Sircar", "Rumana Sarkar"),
            ("ফাতেমা", "Fatema"),
        ] {
            let (x, y) = (super::NameKey::new(a).unwrap(), super::NameKey::new(b).unwrap());
            assert_eq!(x.skeleton, y.skeleton, "{a} / {b}");
        }
    }

    use super::*;

    fn key(s: &str) -> NameKey {
        NameKey::new(s).unwrap()
    }

    #[test]
    fn transliteration_variants_meet() {
        assert_eq!(key("Rahima Khatun").canonical, key("KHATOON Rahima").canonical);
        assert_eq!(key("Smt. Rahima Katun").canonical, "khatun rahima");
        assert_eq!(key("Mandal Mita").canonical, key("Mita Mondal").canonical);
        assert_eq!(key("Sheikh Abdul").canonical, key("Abdul Sk").canonical);
        assert_eq!(key("Mohd. Rafiq").canonical, key("Md Rafiq").canonical);
        assert_eq!(key("D/o Abdul Sk").canonical, "abdul sk");
    }

    #[test]
    fn bengali_script_meets_latin_in_the_skeleton() {
        assert_eq!(key("রহিমা খাতুন").skeleton, key("Rahima Khatun").skeleton);
        assert_eq!(key("সালমা বিবি").skeleton, key("Salma Bibi").skeleton);
        assert_eq!(key("Pooja Das").skeleton, key("Puja Dass").skeleton);
        assert_eq!(key("Laxmi").skeleton, key("Lakshmi").skeleton);
        assert_eq!(key("Luxmi").skeleton, key("লক্ষ্মী").skeleton);
    }

    #[test]
    fn different_names_stay_apart() {
        assert_ne!(key("Rahima Khatun").skeleton, key("Salma Khatun").skeleton);
        assert_ne!(key("Rupa Das").skeleton, key("Rina Das").skeleton);
        assert_eq!(NameKey::new("Smt."), None);
        assert_eq!(NameKey::new("  "), None);
    }
}
