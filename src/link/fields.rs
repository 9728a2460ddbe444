//! The linkage's fields and comparisons, read from the settings: how each
//! field is read from a record, how a blocking rule keys a record, and how
//! a pair is put on a comparison's levels. The model, blocking, training
//! and `link --explain` all read the compiled [`Comparisons`]; nothing
//! matches comparisons by position.

use chrono::Datelike;

use super::names::NameKey;
use super::person::Person;
use crate::config::linkage::{ComparisonSpec, Evidence, FIELDS, LevelTest, Settings};

/// The most comparisons a settings file may declare.
pub const MAX: usize = crate::config::linkage::MAX_COMPARISONS;

/// "One side does not know": no level, no evidence.
pub const NULL: u8 = u8::MAX;

/// A pair's level on each comparison, in the settings' order: 0 is the
/// best level; [`NULL`] where either side lacks the field.
pub type Levels = [u8; MAX];

/// One field's value on a record.
enum Value<'a> {
    Name(&'a NameKey),
    Text(&'a str),
    Date(chrono::NaiveDate),
    /// Date of birth, year of birth, age at rescue: a register that holds
    /// only an age (no date to count it from) is compared on the age. The
    /// age is left None by `value` and counted by `Comparison::level` only
    /// for a pair where a side lacks the year (it costs a date difference).
    Birth(Option<chrono::NaiveDate>, Option<i32>, Option<i32>),
    Number(i64),
}

/// A field, by its position in [`crate::config::linkage::FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field(usize);

impl Field {
    /// The field called `name` (the settings check has refused any other).
    pub fn named(name: &str) -> Field {
        Field(
            FIELDS
                .iter()
                .position(|(n, _)| *n == name)
                .unwrap_or_else(|| unreachable!("field `{name}` passed the settings check")),
        )
    }
}

fn value(p: &Person, field: Field) -> Option<Value<'_>> {
    // In the order of FIELDS.
    Some(match field.0 {
        0 => Value::Name(p.name.as_ref()?),
        1 => Value::Name(p.given_name.as_ref()?),
        2 => Value::Name(p.surname.as_ref()?),
        3 => Value::Name(p.guardian.as_ref()?),
        4 => Value::Text(p.phone.as_deref()?),
        5 => Value::Text(p.identifier.as_deref()?),
        6 => Value::Text(p.village.as_deref()?),
        7 => Value::Text(p.block.as_deref()?),
        8 => Value::Text(p.district.as_deref()?),
        9 => {
            // The age at rescue is counted only where a pair needs it
            // (see `Comparison::level`).
            let year = p.birth_year();
            if p.dob.is_none() && year.is_none() && p.age_at_rescue().is_none() {
                return None;
            }
            Value::Birth(p.dob, year, None)
        }
        10 => Value::Number(p.birth_year()? as i64),
        11 => Value::Number(p.age? as i64),
        12 => Value::Date(p.rescue?),
        13 => Value::Date(p.registered?),
        _ => unreachable!("FIELDS has 14 entries"),
    })
}

/// Feed a record's blocking key for one field into `h`, without building
/// it: names by consonant skeleton, a date of birth only as a whole date
/// (a year alone is not one to block on); `None` when the record lacks it.
pub fn hash_key(p: &Person, field: Field, h: &mut impl std::hash::Hasher) -> Option<()> {
    match value(p, field)? {
        Value::Name(n) => h.write(n.skeleton.as_bytes()),
        Value::Text(t) => h.write(t.as_bytes()),
        Value::Date(d) => h.write_i32(d.num_days_from_ce()),
        Value::Birth(d, ..) => h.write_i32(d?.num_days_from_ce()),
        Value::Number(n) => h.write_i64(n),
    }
    // A separator, so ("ab", "c") and ("a", "bc") differ.
    h.write_u8(0xff);
    Some(())
}

/// One comparison, ready to use.
pub struct Comparison {
    pub name: String,
    pub field: String,
    id: Field,
    /// Level labels, best first, "else" last.
    pub labels: Vec<String>,
    tests: Vec<LevelTest>,
    /// Per level: whether it contradicts being one person.
    pub contradicts: Vec<bool>,
    pub term_frequency: bool,
    pub shared: bool,
    /// For a comparison with a `rare_slip` level: on how many records each
    /// word of the field is seen, by the word's hash (see
    /// [`Comparisons::counting_words`]).
    words: Option<WordCounts>,
}

/// Records per word, keyed by the word's 64-bit hash: counted over every
/// record each run, without a string per word (two words sharing a hash,
/// under one chance in a billion among 100,000 distinct words, would
/// share a count).
#[derive(Default)]
struct WordCounts(std::collections::HashMap<u64, u32, foldhash::fast::FixedState>);

impl WordCounts {
    fn key(word: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0x7af7).hash_one(word)
    }
}

/// The comparisons of a settings file, compiled.
pub struct Comparisons {
    pub list: Vec<Comparison>,
}

impl Comparisons {
    pub fn new(settings: &Settings) -> Comparisons {
        Comparisons {
            list: settings.comparisons.iter().map(Comparison::new).collect(),
        }
    }

    /// The comparisons, with the word counts a `rare_slip` level reads
    /// taken over `people` (each record counts a word once). Without
    /// them, `rare_slip` passes no pair.
    pub fn counting_words(settings: &Settings, people: &[Person]) -> Comparisons {
        let mut out = Comparisons::new(settings);
        for c in &mut out.list {
            if !c.tests.iter().any(|t| matches!(t, LevelTest::RareSlip { .. })) {
                continue;
            }
            let mut words = WordCounts::default();
            for p in people {
                if let Some(Value::Name(n)) = value(p, c.id) {
                    let w = Words::of(&n.canonical);
                    for (i, word) in w.iter().enumerate() {
                        // A word twice in one name counts once.
                        if w.iter().take(i).all(|u| u != word) {
                            *words.0.entry(WordCounts::key(word)).or_default() += 1;
                        }
                    }
                }
            }
            c.words = Some(words);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The level of every comparison for one pair.
    pub fn compare(&self, a: &Person, b: &Person) -> Levels {
        let mut out = [NULL; MAX];
        for (slot, c) in out.iter_mut().zip(&self.list) {
            *slot = c.level(a, b).unwrap_or(NULL);
        }
        out
    }

    /// The comparisons a blocking rule forces to agree: those on a field
    /// the rule names (and, for a rule on the year of birth, the date of
    /// birth's years), sorted.
    pub fn fixed_by(&self, rule: &[String]) -> Vec<usize> {
        (0..self.len())
            .filter(|&c| {
                let f = self.list[c].field.as_str();
                rule.iter().any(|r| r == f || (r == "birth_year" && f == "dob"))
            })
            .collect()
    }

    /// The comparison called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|c| c.name == name)
    }
}

impl Comparison {
    fn new(spec: &ComparisonSpec) -> Comparison {
        Comparison {
            name: spec.name().to_string(),
            field: spec.field.clone(),
            id: Field::named(&spec.field),
            labels: spec.labels(),
            tests: spec.levels.clone(),
            contradicts: spec.contradictions(),
            term_frequency: spec.term_frequency,
            shared: spec.evidence == Evidence::Shared,
            words: None,
        }
    }

    /// The number of levels, "else" included.
    pub fn levels(&self) -> usize {
        self.labels.len()
    }

    /// The pair's level; `None` when either side lacks the field.
    pub fn level(&self, a: &Person, b: &Person) -> Option<u8> {
        let (mut x, mut y) = (value(a, self.id)?, value(b, self.id)?);
        if let (Value::Birth(_, ya, aa), Value::Birth(_, yb, ab)) = (&mut x, &mut y)
            && (ya.is_none() || yb.is_none())
        {
            // No year of birth on a side: compare the ages at rescue, and
            // where a side has none either, nothing (not a disagreement).
            (*aa, *ab) = (a.age_at_rescue(), b.age_at_rescue());
            if aa.is_none() || ab.is_none() {
                return None;
            }
        }
        let at = self.tests.iter().position(|t| match t {
            LevelTest::RareSlip { rarest, ratio, .. } => self.rare_slip(&x, &y, *rarest, *ratio),
            _ => passes(t, &x, &y),
        });
        Some(at.unwrap_or(self.tests.len()) as u8)
    }

    /// Two names of as many words, equal but for one word each, and those
    /// two a single edit apart with the rarer seen on at most `rarest`
    /// records and the other on at least `ratio` times as many.
    fn rare_slip(&self, a: &Value, b: &Value, rarest: u32, ratio: u32) -> bool {
        let (Some(words), Value::Name(x), Value::Name(y)) = (&self.words, a, b) else {
            return false;
        };
        let (x, y) = (Words::of(&x.canonical), Words::of(&y.canonical));
        if x.len != y.len {
            return false;
        }
        let mut only_x = x.iter().filter(|w| !y.contains(w));
        let mut only_y = y.iter().filter(|w| !x.contains(w));
        let (Some(u), None, Some(v), None) = (only_x.next(), only_x.next(), only_y.next(), only_y.next()) else {
            return false;
        };
        if !within_edits(u, v, 1, true) || !first_letters_could_slip(u, v) {
            return false;
        }
        let seen = |w: &str| words.0.get(&WordCounts::key(w)).copied().unwrap_or(0);
        let (lo, hi) = {
            let (p, q) = (seen(u), seen(v));
            (p.min(q), p.max(q))
        };
        lo <= rarest && u64::from(hi) >= u64::from(ratio) * u64::from(lo.max(1))
    }

    /// The value term frequencies are counted by (the first level's form).
    pub fn tf_key<'a>(&self, p: &'a Person) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        Some(match value(p, self.id)? {
            Value::Name(n) => Cow::Borrowed(n.canonical.as_str()),
            Value::Text(t) => Cow::Borrowed(t),
            Value::Date(d) => Cow::Owned(d.to_string()),
            Value::Birth(d, ..) => Cow::Owned(d?.to_string()),
            Value::Number(n) => Cow::Owned(n.to_string()),
        })
    }
}

fn passes(test: &LevelTest, a: &Value, b: &Value) -> bool {
    use LevelTest as T;
    match (test, a, b) {
        (T::Exact { .. }, Value::Name(x), Value::Name(y)) => x.canonical == y.canonical,
        (T::Exact { .. }, Value::Text(x), Value::Text(y)) => x == y,
        (T::Exact { .. }, Value::Date(x), Value::Date(y)) => x == y,
        (T::Exact { .. }, Value::Birth(Some(x), ..), Value::Birth(Some(y), ..)) => x == y,
        (T::Exact { .. }, Value::Number(x), Value::Number(y)) => x == y,
        (T::Folded { .. }, Value::Name(x), Value::Name(y)) => x.skeleton == y.skeleton,
        (T::Folded { .. }, Value::Text(x), Value::Text(y)) => fold(x) == fold(y),
        (T::JaroWinkler { min, same_initial, .. }, Value::Name(x), Value::Name(y)) => {
            tokens_close(&x.canonical, &y.canonical, |s, t| {
                (!same_initial || same_initial_sound(s, t)) && jaro_winkler(s, t) >= *min
            })
        }
        (T::JaroWinkler { min, same_initial, .. }, Value::Text(x), Value::Text(y)) => {
            (!same_initial || same_initial_sound(x, y)) && jaro_winkler(x, y) >= *min
        }
        (
            T::Levenshtein {
                max,
                same_initial: true,
                ..
            },
            _,
            _,
        ) => word_edits(a, b, |s, t| within_edits(s, t, *max, false)),
        (
            T::DamerauLevenshtein {
                max,
                same_initial: true,
                ..
            },
            _,
            _,
        ) => word_edits(a, b, |s, t| within_edits(s, t, *max, true)),
        (T::Levenshtein { max, .. }, Value::Name(x), Value::Name(y)) => {
            within_edits(&x.canonical, &y.canonical, *max, false)
        }
        (T::DamerauLevenshtein { max, .. }, Value::Name(x), Value::Name(y)) => {
            within_edits(&x.canonical, &y.canonical, *max, true)
        }
        (T::Levenshtein { max, .. }, Value::Text(x), Value::Text(y)) => within_edits(x, y, *max, false),
        (T::DamerauLevenshtein { max, .. }, Value::Text(x), Value::Text(y)) => within_edits(x, y, *max, true),
        (T::Levenshtein { max, .. }, _, _) => edits(a, b, strsim::levenshtein).is_some_and(|d| d <= *max),
        (T::DamerauLevenshtein { max, .. }, _, _) => edits(a, b, strsim::osa_distance).is_some_and(|d| d <= *max),
        (T::TokenSet { min, .. }, Value::Name(x), Value::Name(y)) => jaccard(&x.canonical, &y.canonical) >= *min,
        (T::TokenSet { min, .. }, Value::Text(x), Value::Text(y)) => jaccard(x, y) >= *min,
        (T::SharesToken { .. }, Value::Name(x), Value::Name(y)) => shares_token(&x.canonical, &y.canonical),
        (T::WithinDays { days, .. }, Value::Date(x), Value::Date(y))
        | (T::WithinDays { days, .. }, Value::Birth(Some(x), ..), Value::Birth(Some(y), ..)) => {
            (*x - *y).num_days().abs() <= *days
        }
        (T::TransposedDayMonth { .. }, Value::Date(x), Value::Date(y))
        | (T::TransposedDayMonth { .. }, Value::Birth(Some(x), ..), Value::Birth(Some(y), ..)) => {
            x.year() == y.year() && x.month() == y.day() && x.day() == y.month() && x != y
        }
        (T::YearsWithin { years, .. }, Value::Date(x), Value::Date(y)) => (x.year() - y.year()).abs() <= *years,
        (T::YearsWithin { years, .. }, Value::Birth(_, Some(x), _), Value::Birth(_, Some(y), _)) => {
            (x - y).abs() <= *years
        }
        // No year on one side: ages at rescue apart by as many years.
        (T::YearsWithin { years, .. }, Value::Birth(_, _, Some(x)), Value::Birth(_, _, Some(y))) => {
            (x - y).abs() <= *years
        }
        (T::Within { n, .. }, Value::Number(x), Value::Number(y)) => (x - y).abs() <= *n,
        _ => false,
    }
}

/// The edit distance between two values of one kind: names by their
/// canonical form, dates by their eight digits (a keying slip in a date).
fn edits(a: &Value, b: &Value, distance: fn(&str, &str) -> usize) -> Option<usize> {
    let date = |d: &chrono::NaiveDate| d.format("%Y%m%d").to_string();
    Some(match (a, b) {
        (Value::Name(x), Value::Name(y)) => distance(&x.canonical, &y.canonical),
        (Value::Text(x), Value::Text(y)) => distance(x, y),
        (Value::Date(x), Value::Date(y)) | (Value::Birth(Some(x), ..), Value::Birth(Some(y), ..)) => {
            distance(&date(x), &date(y))
        }
        _ => return None,
    })
}

/// Whether `a` and `b` are at most `max` edits apart (with `transpose`,
/// swapping two neighbours counts as one, as `strsim::osa_distance` counts
/// it). Words of names, the common case, are checked without allocating:
/// this runs on every pair compared and every random pair u is estimated
/// from.
fn within_edits(a: &str, b: &str, max: usize, transpose: bool) -> bool {
    if a.is_ascii() && b.is_ascii() {
        if a.len().abs_diff(b.len()) > max {
            return false;
        }
        if max == 1 {
            return within_one_edit(a.as_bytes(), b.as_bytes(), transpose);
        }
        if let Some(d) = short_edits(a.as_bytes(), b.as_bytes(), transpose) {
            return d <= max;
        }
    }
    let d = if transpose {
        strsim::osa_distance(a, b)
    } else {
        strsim::levenshtein(a, b)
    };
    d <= max
}

/// The edit distance of two short ASCII words (`None` past 31 bytes), as
/// strsim counts it, on three rows kept on the stack.
fn short_edits(a: &[u8], b: &[u8], transpose: bool) -> Option<usize> {
    const N: usize = 32;
    if a.len() >= N || b.len() >= N {
        return None;
    }
    let (mut two_back, mut prev, mut cur) = ([0usize; N], [0usize; N], [0usize; N]);
    for (j, x) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *x = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if transpose && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            cur[j] = d;
        }
        two_back = prev;
        prev = cur;
    }
    Some(prev[b.len()])
}

fn within_one_edit(a: &[u8], b: &[u8], transpose: bool) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if a.len() == b.len() {
        p == a.len()
            || a[p + 1..] == b[p + 1..]
            || (transpose && p + 1 < a.len() && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..])
    } else {
        a[p..] == b[p + 1..]
    }
}

/// Whether two words start with one sound, as the skeleton folds first
/// letters: Phatema and Fatima (ph, f), Vina and Bina, Zakir and Jakir,
/// Sircar and Kalpana's c and k, any vowel and any vowel. A slip in the
/// first letter (Rina, Mina) is a different initial: that is what sisters'
/// names look like.
fn same_initial_sound(a: &str, b: &str) -> bool {
    initial_sound(a) == initial_sound(b)
}

/// The first letter of a word's skeleton (`names::skeleton`), without
/// building it: this runs on every word pair compared.
fn initial_sound(w: &str) -> Option<char> {
    let b = w.as_bytes();
    let next = b.get(1).copied();
    Some(match *b.first()? {
        b'a' | b'e' | b'i' | b'o' | b'u' => 'a',
        b'p' if next == Some(b'h') => 'f',
        b'v' | b'w' => 'b',
        b'z' => 'j',
        b'q' | b'x' => 'k',
        b'c' if next != Some(b'h') => 'k',
        c if c.is_ascii() => c as char,
        _ => w.chars().next()?,
    })
}

/// Whether two words one edit apart could be one word keyed twice as far
/// as their first letters go: the same first letter, or two keys side by
/// side on a QWERTY keyboard (Kaxmi for Laxmi, Oaik for Paik). Sisters'
/// names that differ only at the first letter mostly do not differ by a
/// neighbouring key (Rina and Mina, Pampi and Mampi), and where they do
/// (Rahima, Fahima) both are names in use, which `rare_slip` also asks.
fn first_letters_could_slip(a: &str, b: &str) -> bool {
    let (Some(x), Some(y)) = (a.bytes().next(), b.bytes().next()) else {
        return false;
    };
    x == y || neighbour_keys(x, y)
}

/// Two letters on neighbouring keys of a QWERTY keyboard (each row sits
/// half a key right of the one above: a key touches two in the row above
/// and two in the row below).
fn neighbour_keys(x: u8, y: u8) -> bool {
    const ROWS: [&[u8]; 3] = [b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];
    let at = |k: u8| {
        let k = k.to_ascii_lowercase();
        ROWS.iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(|&c| c == k).map(|c| (r as i32, c as i32)))
    };
    let (Some((r1, c1)), Some((r2, c2))) = (at(x), at(y)) else {
        return false;
    };
    match r2 - r1 {
        0 => (c1 - c2).abs() == 1,
        // y in the row below x: under x and to its left.
        1 => c2 == c1 || c2 == c1 - 1,
        -1 => c1 == c2 || c1 == c2 - 1,
        _ => false,
    }
}

/// Names or text word by word: every word of the shorter `close` to a word
/// of the other that starts with the same letter.
fn word_edits(a: &Value, b: &Value, close: impl Fn(&str, &str) -> bool) -> bool {
    let same_start = |s: &str, t: &str| same_initial_sound(s, t) && close(s, t);
    match (a, b) {
        (Value::Name(x), Value::Name(y)) => tokens_close(&x.canonical, &y.canonical, same_start),
        (Value::Text(x), Value::Text(y)) => tokens_close(x, y, same_start),
        _ => false,
    }
}

/// Jaro-Winkler similarity, as `strsim::jaro_winkler` computes it (the
/// test below holds them equal), without its allocation: names reach here
/// transliterated to ASCII, and this runs on every pair compared and every
/// random pair u is estimated from.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    const MAX: usize = 64;
    if !a.is_ascii() || !b.is_ascii() || a.len() > MAX || b.len() > MAX {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() && b.is_empty() {
        return 1.0;
    } else if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let range = (a.len().max(b.len()) / 2).saturating_sub(1);
    let (mut a_flag, mut b_flag) = ([false; MAX], [false; MAX]);
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let hi = b.len().min(i + range + 1);
        for j in i.saturating_sub(range)..hi {
            if !b_flag[j] && b[j] == x {
                a_flag[i] = true;
                b_flag[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0;
    for (i, &x) in a.iter().enumerate() {
        if a_flag[i] {
            while !b_flag[k] {
                k += 1;
            }
            transpositions += (x != b[k]) as usize;
            k += 1;
        }
    }
    let m = matches as f64;
    let t = (transpositions / 2) as f64;
    let sim = (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0;
    if sim > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// Letters and digits only, lower case.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every token of the shorter name has a close counterpart in the other.
/// Comparing whole strings instead would let a shared surname ("khatun
/// salma" and "khatun rumana") pass as similar.
fn tokens_close(a: &str, b: &str, close: impl Fn(&str, &str) -> bool) -> bool {
    // Split once, onto the stack: this runs on every pair compared, most
    // of them on the way to "else".
    let (x, y) = (Words::of(a), Words::of(b));
    let (short, long) = if x.len <= y.len { (&x, &y) } else { (&y, &x) };
    short.iter().all(|t| long.iter().any(|u| close(t, u)))
}

/// The words of a canonical name (one space between them), held on the
/// stack: a name has a handful. Words past the eighth are joined to it.
struct Words<'a> {
    words: [&'a str; 8],
    len: usize,
}

impl<'a> Words<'a> {
    fn of(s: &'a str) -> Words<'a> {
        let mut words = [""; 8];
        let mut len = 0;
        let mut rest = s;
        while len < 7 {
            match rest.split_once(' ') {
                Some((w, r)) => {
                    words[len] = w;
                    len += 1;
                    rest = r;
                }
                None => break,
            }
        }
        words[len] = rest;
        Words { words, len: len + 1 }
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.words[..self.len].iter().copied()
    }

    fn contains(&self, w: &str) -> bool {
        self.iter().any(|u| u == w)
    }
}

fn jaccard(a: &str, b: &str) -> f64 {
    let a: std::collections::HashSet<&str> = a.split_whitespace().collect();
    let b: std::collections::HashSet<&str> = b.split_whitespace().collect();
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// A token in common, and another token of one name with no equal in the
/// other: the same surname, a different given name.
fn shares_token(a: &str, b: &str) -> bool {
    let (x, y) = (Words::of(a), Words::of(b));
    x.iter().any(|t| y.contains(t)) && (x.iter().any(|t| !y.contains(t)) || y.iter().any(|t| !x.contains(t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::person::Person;

    #[test]
    fn jaro_winkler_is_strsims() {
        let words = [
            "",
            "a",
            "rina",
            "mina",
            "rena",
            "khatun",
            "khatoon",
            "rahima",
            "rhima",
            "laxmi",
            "lakshmi",
            "luxmi",
            "dixon",
            "dicksonx",
            "martha",
            "marhta",
            "abcdefghijklmnopqrstuvwxyz",
            "stoney creek",
            "stone ycreek",
        ];
        for a in words {
            for b in words {
                assert_eq!(jaro_winkler(a, b), strsim::jaro_winkler(a, b), "{a} / {b}");
            }
        }
        assert_eq!(jaro_winkler("রহিমা", "rahima"), strsim::jaro_winkler("রহিমা", "rahima"));
    }

    #[test]
    fn every_field_is_read_as_its_kind() {
        use crate::config::linkage::FieldKind;
        let d = chrono::NaiveDate::from_ymd_opt(2001, 2, 3);
        let p = Person {
            guardian: NameKey::new("Abdul Sk"),
            phone: Some("9800000000".into()),
            identifier: Some("X1".into()),
            village: Some("v".into()),
            block: Some("b".into()),
            district: Some("Nadia".into()),
            dob: d,
            age: Some(20),
            rescue: d,
            registered: d,
            ..Person::default()
        }
        .with_name(Some("Rina Das"));
        for (i, (name, kind)) in FIELDS.iter().enumerate() {
            let v = value(&p, Field(i)).unwrap_or_else(|| panic!("{name} is not read"));
            let read = match v {
                Value::Name(_) => FieldKind::Name,
                Value::Text(_) => FieldKind::Text,
                Value::Date(_) => FieldKind::Date,
                Value::Birth(..) => FieldKind::Birth,
                Value::Number(_) => FieldKind::Number,
            };
            assert_eq!(read, *kind, "{name}");
        }
    }

    fn settings() -> Settings {
        crate::config::default_linkage("survivors").unwrap()
    }

    fn named(name: &str) -> Person {
        Person::default().with_name(Some(name))
    }

    #[test]
    fn a_blocking_rule_fixes_the_comparisons_on_its_fields() {
        let c = Comparisons::new(&settings());
        let rule = |fs: &[&str]| fs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let names = |ix: Vec<usize>| ix.into_iter().map(|i| c.list[i].field.clone()).collect::<Vec<_>>();
        assert_eq!(names(c.fixed_by(&rule(&["name", "dob"]))), ["name", "dob"]);
        assert_eq!(names(c.fixed_by(&rule(&["birth_year"]))), ["dob"]);
        assert!(c.fixed_by(&rule(&["age"])).is_empty());
    }

    #[test]
    fn edits_and_initials_are_counted_as_strsim_and_the_skeleton_count_them() {
        let words = [
            "", "a", "ab", "ba", "abc", "acb", "bac", "abd", "abcd", "abdc", "acbd", "rahima", "fahima", "rahma",
            "rhaima", "rahimaa", "rahiam", "sardar", "sarder", "sardr", "asma", "awma", "sama", "phatema", "fatima",
            "fqtema", "vina", "wima", "zakir", "jakir", "xalma", "sircar", "chandana", "ck", "yasmin", "quazi",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    within_one_edit(a.as_bytes(), b.as_bytes(), true),
                    strsim::osa_distance(a, b) <= 1,
                    "{a} / {b}"
                );
                assert_eq!(
                    within_one_edit(a.as_bytes(), b.as_bytes(), false),
                    strsim::levenshtein(a, b) <= 1,
                    "{a} / {b}"
                );
                assert_eq!(
                    short_edits(a.as_bytes(), b.as_bytes(), true),
                    Some(strsim::osa_distance(a, b)),
                    "{a} / {b}"
                );
                assert_eq!(
                    short_edits(a.as_bytes(), b.as_bytes(), false),
                    Some(strsim::levenshtein(a, b)),
                    "{a} / {b}"
                );
                assert_eq!(initial_sound(a), crate::link::names::skeleton(a).chars().next(), "{a}");
            }
        }
    }

    #[test]
    fn levels_come_from_the_settings_in_order() {
        let c = Comparisons::new(&settings());
        let name = c.index("name").unwrap();
        let level = |a: &str, b: &str| c.list[name].level(&named(a), &named(b));
        assert_eq!(level("Rahima Khatun", "KHATOON Rahima"), Some(0));
        assert_eq!(level("Rahima Khatun", "রহিমা খাতুন"), Some(1), "same skeleton");
        assert_eq!(
            level("Asma Sardar", "Awma Sardar"),
            Some(3),
            "a slip after the first letter"
        );
        assert_eq!(
            level("Fqtema Adak", "Fatima Adak"),
            Some(4),
            "a slip on a spelling variant: two edits, same initials"
        );
        assert_eq!(level("ফাতেমা সাঁতরা", "Fatima Santra"), Some(2), "every word similar");
        assert!(super::same_initial_sound("phatema", "fatima"));
        assert!(super::same_initial_sound("vina", "bina"));
        assert!(super::same_initial_sound("sircar", "sarkar"));
        assert!(!super::same_initial_sound("rina", "mina"));
        assert_eq!(
            level("Rina Khatun", "Mina Khatun"),
            Some(6),
            "sisters: a shared surname only"
        );
        assert_eq!(
            level("Rahima Bibi", "Fahima Bibi"),
            Some(6),
            "as close as a slip, but at the first letter"
        );
        assert!(c.list[name].contradicts[6]);
        assert_eq!(level("Rina Khatun", "Salma Bibi"), Some(7), "else");
        assert_eq!(level("Rina Khatun", ""), None);
    }

    #[test]
    fn a_rare_word_one_edit_from_a_common_one_is_a_slip_and_two_common_names_are_sisters() {
        // Laxmi and Rina on many records, Mina on fewer, Kaxmi once.
        let mut people: Vec<Person> = Vec::new();
        for (name, n) in [
            ("Laxmi Barman", 30),
            ("Rina Khatun", 25),
            ("Mina Khatun", 12),
            ("Kaxmi Barman", 1),
            ("Rahima Jridha", 1),
            ("Rahima Mridha", 20),
        ] {
            people.extend(std::iter::repeat_with(|| named(name)).take(n));
        }
        let c = Comparisons::counting_words(&settings(), &people);
        let name = c.index("name").unwrap();
        let level = |a: &str, b: &str| c.list[name].level(&named(a), &named(b));
        assert_eq!(
            level("KAXMI BARMAN", "Laxmi Barman"),
            Some(5),
            "a slip at the first letter"
        );
        assert_eq!(level("Rahima Mridha", "Jridha Rahima"), Some(5), "in the surname too");
        assert!(!c.list[name].contradicts[5]);
        assert_eq!(
            level("Mina Khatun", "Rina Khatun"),
            Some(6),
            "two names both in use: sisters"
        );
        assert_eq!(level("Mina Barman", "Laxmi Barman"), Some(6), "not one edit");
        for (a, b) in [
            ("k", "l"),
            ("u", "h"),
            ("m", "k"),
            ("l", "p"),
            ("b", "h"),
            ("q", "a"),
            ("n", "m"),
        ] {
            assert!(neighbour_keys(a.as_bytes()[0], b.as_bytes()[0]), "{a} {b}");
            assert!(neighbour_keys(b.as_bytes()[0], a.as_bytes()[0]), "{b} {a}");
        }
        for (a, b) in [("r", "m"), ("p", "m"), ("a", "l"), ("q", "z"), ("k", "n")] {
            assert!(!neighbour_keys(a.as_bytes()[0], b.as_bytes()[0]), "{a} {b}");
        }
        assert_eq!(level("Kaxmi Khatun", "Laxmi Barman"), Some(7), "two words differ");
        // Without the counts (comparisons not built over the records), the
        // level passes no pair.
        let bare = Comparisons::new(&settings());
        assert_eq!(
            bare.list[name].level(&named("Kaxmi Barman"), &named("Laxmi Barman")),
            Some(6)
        );
    }

    #[test]
    fn given_name_and_surname_are_read_in_the_order_written() {
        let p = named("Smt. Rahima Khatoon");
        assert_eq!(p.given_name.unwrap().canonical, "rahima");
        assert_eq!(p.surname.unwrap().canonical, "khatun");
        assert!(named("Rahima").surname.is_none());
    }

    #[test]
    fn dates_transposed_and_years_from_age() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let a = Person {
            dob: d("1999-04-09"),
            ..Person::default()
        };
        let b = Person {
            dob: d("1999-09-04"),
            ..Person::default()
        };
        let by_age = Person {
            birth_year: Some(2001),
            ..Person::default()
        };
        let c = Comparisons::new(&settings());
        let dob = &c.list[c.index("birth").unwrap()];
        assert_eq!(
            dob.labels[dob.level(&a, &b).unwrap() as usize],
            "day and month transposed"
        );
        assert_eq!(
            dob.labels[dob.level(&a, &by_age).unwrap() as usize],
            "birth year within 3"
        );
        assert_eq!(
            hash_key(
                &by_age,
                Field::named("dob"),
                &mut std::collections::hash_map::DefaultHasher::new()
            ),
            None,
            "a year is not a date to block on"
        );
    }
}
