//! The linkage's fields and comparisons, read from the settings: how each
//! field is read from a record, how a blocking rule keys a record, and how
//! a pair is put on a comparison's levels. The model, blocking, training
//! and `link --explain` all read the compiled [`Comparisons`]; nothing
//! matches comparisons by position. Pairs are compared through a [`Table`]
//! of the records' values, built once per linkage (see there for why).

use chrono::Datelike;

use super::names::NameKey;
use super::person::Person;
pub use crate::settings::Field;
use crate::settings::{ComparisonSpec, Evidence, LevelTest, Settings};

/// The most comparisons a settings file may declare.
pub const MAX: usize = crate::settings::MAX_COMPARISONS;

/// "One side does not know": no level, no evidence.
pub const NULL: u8 = u8::MAX;

/// A pair's level on each comparison, in the settings' order: 0 is the
/// best level; [`NULL`] where either side lacks the field.
pub type Levels = [u8; MAX];

/// One field's value as a record holds it: what blocking keys, term
/// frequencies, word counts and the comparison [`Table`] are read from.
enum Raw<'a> {
    Name(&'a NameKey),
    Text(&'a str),
    Date(chrono::NaiveDate),
    /// Date of birth and year of birth (from the date, else from the age
    /// at rescue). A record with neither but an age at rescue still has
    /// one: a register that holds only an age is compared on it (see
    /// [`Birth`]).
    Birth(Option<chrono::NaiveDate>, Option<i32>),
    Number(i64),
}

fn raw(p: &Person, field: Field) -> Option<Raw<'_>> {
    Some(match field {
        Field::Name | Field::NameLetters => Raw::Name(p.name.as_ref()?),
        Field::GivenName => Raw::Name(p.given_name.as_ref()?),
        Field::Surname => Raw::Name(p.surname.as_ref()?),
        Field::Guardian => Raw::Name(p.guardian.as_ref()?),
        Field::Phone => Raw::Text(p.phone.as_deref()?),
        Field::Identifier => Raw::Text(p.identifier.as_deref()?),
        Field::Village => Raw::Text(p.village.as_deref()?),
        Field::Address => Raw::Text(p.address.as_deref()?),
        Field::Case => Raw::Text(p.case.as_deref()?),
        Field::Block => Raw::Text(p.block.as_deref()?),
        Field::District => Raw::Text(p.district.as_deref()?),
        Field::Dob => {
            let year = p.birth_year();
            if p.dob.is_none() && year.is_none() && p.age_at_rescue().is_none() {
                return None;
            }
            Raw::Birth(p.dob, year)
        }
        Field::BirthYear => Raw::Number(p.birth_year()? as i64),
        Field::Age => Raw::Number(p.age? as i64),
        Field::RescueDate => Raw::Date(p.rescue?),
        Field::RegisteredDate => Raw::Date(p.registered?),
    })
}

/// Feed a record's blocking key for one field into `h`, without building
/// it: names by consonant skeleton, a date of birth only as a whole date
/// (a year alone is not one to block on); `None` when the record lacks it.
pub fn hash_key(p: &Person, field: Field, h: &mut impl std::hash::Hasher) -> Option<()> {
    match raw(p, field)? {
        Raw::Name(n) if field == Field::NameLetters => {
            // Each word's skeleton, its letters after the first sorted
            // (the words are sorted already).
            let mut letters = Vec::with_capacity(n.skeleton.len());
            for word in n.skeleton.split(' ') {
                let at = letters.len();
                letters.extend_from_slice(word.as_bytes());
                if let Some(rest) = letters.get_mut(at + 1..) {
                    rest.sort_unstable();
                }
                letters.push(b' ');
            }
            h.write(&letters)
        }
        Raw::Name(n) => h.write(n.skeleton.as_bytes()),
        Raw::Text(t) => h.write(t.as_bytes()),
        Raw::Date(d) => h.write_i32(d.num_days_from_ce()),
        Raw::Birth(d, _) => h.write_i32(d?.num_days_from_ce()),
        Raw::Number(n) => h.write_i64(n),
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
    /// Whether the first level is `exact` (see [`Comparison::level_of`]).
    exact_first: bool,
    /// Per level: whether it contradicts being one person.
    pub contradicts: Vec<bool>,
    pub term_frequency: bool,
    pub shared: bool,
    /// "Else" counts for nothing (see `ComparisonSpec::else_neutral`).
    pub else_neutral: bool,
    /// For a comparison with a `rare_slip` level: on how many records each
    /// word of the field is seen, by the word's hash (see
    /// [`Comparisons::prepare`]).
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

/// The records' values for every comparison, laid out for comparing
/// pairs (built once per linkage by [`Comparisons::prepare`]).
///
/// Linkage compares a pair of records hundreds of thousands of times
/// over (every blocked pair, and every random pair u is estimated from),
/// most of them on the way to "else". Read from two `Person`s, each a
/// dozen strings scattered over the heap, a pair cost more in cache
/// misses than in comparing. Here a record holds, per comparison, the
/// number of its value and of its folded form (a name's skeleton), so
/// "exact" and "folded" compare two numbers; each distinct value is held
/// once, its words split once, in one block of text per comparison, so
/// the fuzzy levels read a few thousand distinct values that stay in the
/// cache instead of a hundred thousand records.
pub struct Table {
    /// Per record, one slot per comparison, side by side: a pair's
    /// comparisons read two short runs of memory, not a column each.
    slots: Vec<u64>,
    columns: Vec<Column>,
}

/// What a slot of one comparison holds, and the distinct text values its
/// slots number.
enum Column {
    /// Names (`name`) or other text: a slot is a [`Cell`].
    Text {
        values: Vec<Distinct>,
        text: String,
        name: bool,
    },
    /// Days since the common era.
    Date,
    /// A [`Birth`], packed.
    Birth,
    Number,
}

/// A slot whose record lacks the field.
const EMPTY: u64 = u64::MAX;

/// A record's text value: the number of the value and of its folded form
/// (a name's skeleton; text in lower-case letters and digits).
#[derive(Clone, Copy)]
struct Cell {
    value: u32,
    folded: u32,
}

/// One distinct value of a text column: where it sits in the column's
/// text, and where each of its words ends (as [`Words::of`] splits it).
struct Distinct {
    start: u32,
    ends: [u32; 8],
    words: u8,
}

/// What a record says of its birth: the date, the year (from the date or
/// from the age at rescue) and the age at rescue (as recorded, else
/// counted from the date), which is read only where a side lacks the year.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Birth {
    dob: Option<chrono::NaiveDate>,
    year: Option<i32>,
    age: Option<i32>,
}

impl Birth {
    /// Into one slot: the date's day number, then the year and the age in
    /// 16 bits each (a year or an age past ±32,767 is no year or age).
    fn pack(self) -> u64 {
        let small = |v: Option<i32>| v.and_then(|v| i16::try_from(v).ok()).unwrap_or(i16::MIN) as u16 as u64;
        let dob = self.dob.map_or(i32::MIN, |d| d.num_days_from_ce()) as u32 as u64;
        (dob << 32) | (small(self.year) << 16) | small(self.age)
    }

    fn unpack(slot: u64) -> Birth {
        let small = |v: u64| Some(v as u16 as i16).filter(|&v| v != i16::MIN).map(i32::from);
        let dob = Some((slot >> 32) as u32 as i32)
            .filter(|&d| d != i32::MIN)
            .and_then(chrono::NaiveDate::from_num_days_from_ce_opt);
        Birth {
            dob,
            year: small((slot >> 16) & 0xffff),
            age: small(slot & 0xffff),
        }
    }
}

/// One side of a pair on one comparison.
#[derive(Clone, Copy)]
enum Value<'a> {
    Name(Cell, Spelt<'a>),
    Text(Cell, Spelt<'a>),
    Date(chrono::NaiveDate),
    Birth(Birth),
    Number(i64),
}

/// A distinct text value, read only when a level needs its letters.
#[derive(Clone, Copy)]
struct Spelt<'a> {
    of: &'a Distinct,
    text: &'a str,
}

impl<'a> Spelt<'a> {
    fn str(&self) -> &'a str {
        let end = self.of.ends[usize::from(self.of.words) - 1];
        &self.text[self.of.start as usize..end as usize]
    }

    fn words(&self) -> Words<'a> {
        let mut words = [""; 8];
        let mut from = self.of.start as usize;
        for (w, &end) in words.iter_mut().zip(&self.of.ends[..usize::from(self.of.words)]) {
            *w = &self.text[from..end as usize];
            from = end as usize + 1;
        }
        Words {
            words,
            len: usize::from(self.of.words),
        }
    }
}

impl Column {
    /// Comparison field `field` over `people`: what its slots hold, and
    /// each record's slot.
    fn of(field: Field, people: &[Person]) -> (Column, Vec<u64>) {
        use crate::settings::FieldKind;
        let slots = |kind: Column, slot: &dyn Fn(&Person) -> Option<u64>| {
            (kind, people.iter().map(|p| slot(p).unwrap_or(EMPTY)).collect())
        };
        match field.kind() {
            FieldKind::Name | FieldKind::Text => Column::text(field, people),
            FieldKind::Date => slots(Column::Date, &|p| match raw(p, field)? {
                Raw::Date(d) => Some(d.num_days_from_ce() as u32 as u64),
                _ => None,
            }),
            FieldKind::Birth => slots(Column::Birth, &|p| match raw(p, field)? {
                Raw::Birth(dob, year) => Some(
                    Birth {
                        dob,
                        year,
                        age: p.age_at_rescue(),
                    }
                    .pack(),
                ),
                _ => None,
            }),
            FieldKind::Number => slots(Column::Number, &|p| match raw(p, field)? {
                Raw::Number(n) => Some(n as u64),
                _ => None,
            }),
        }
    }

    fn text(field: Field, people: &[Person]) -> (Column, Vec<u64>) {
        use std::collections::HashMap;
        type Numbers<K> = HashMap<K, u32, foldhash::fast::FixedState>;
        // A name's skeleton is made from its words, a text's folded form
        // from its letters: each is worked out once per distinct value.
        let (mut seen, mut folds) = (Numbers::<&str>::default(), Numbers::<String>::default());
        let (mut values, mut folded, mut text) = (Vec::new(), Vec::new(), String::new());
        let slots = people
            .iter()
            .map(|p| {
                let (value, fold_of) = match raw(p, field) {
                    Some(Raw::Name(n)) => (n.canonical.as_str(), Some(n.skeleton.as_str())),
                    Some(Raw::Text(t)) => (t, None),
                    _ => return EMPTY,
                };
                let next = seen.len() as u32;
                let n = *seen.entry(value).or_insert_with(|| {
                    values.push(Distinct::add(&mut text, value));
                    let key = fold_of.map_or_else(|| fold(value), str::to_string);
                    let fresh = folds.len() as u32;
                    folded.push(*folds.entry(key).or_insert(fresh));
                    next
                });
                (u64::from(n) << 32) | u64::from(folded[n as usize])
            })
            .collect();
        let name = field.kind() == crate::settings::FieldKind::Name;
        (Column::Text { values, text, name }, slots)
    }

    /// The value in `slot`; `None` when the record lacks one.
    fn value(&self, slot: u64) -> Option<Value<'_>> {
        if slot == EMPTY {
            return None;
        }
        Some(match self {
            Column::Text { values, text, name } => {
                let cell = Cell {
                    value: (slot >> 32) as u32,
                    folded: slot as u32,
                };
                let spelt = Spelt {
                    of: &values[cell.value as usize],
                    text,
                };
                if *name {
                    Value::Name(cell, spelt)
                } else {
                    Value::Text(cell, spelt)
                }
            }
            Column::Date => Value::Date(chrono::NaiveDate::from_num_days_from_ce_opt(slot as u32 as i32)?),
            Column::Birth => Value::Birth(Birth::unpack(slot)),
            Column::Number => Value::Number(slot as i64),
        })
    }
}

impl Distinct {
    /// Append `value` to `text` and say where it and its words sit.
    fn add(text: &mut String, value: &str) -> Distinct {
        let start = text.len();
        text.push_str(value);
        let words = Words::of(value);
        let mut ends = [0u32; 8];
        let mut at = start;
        for (end, w) in ends.iter_mut().zip(words.iter()) {
            // Words::of's words are slices of `value`, in order.
            at = start + (w.as_ptr() as usize - value.as_ptr() as usize) + w.len();
            *end = at as u32;
        }
        debug_assert_eq!(at, text.len());
        Distinct {
            start: start as u32,
            ends,
            words: words.len as u8,
        }
    }
}

impl Comparisons {
    pub fn new(settings: &Settings) -> Comparisons {
        Comparisons {
            list: settings.comparisons.iter().map(Comparison::new).collect(),
        }
    }

    /// The comparisons, with the word counts a `rare_slip` level reads
    /// taken over `people` (each record counts a word once; without them
    /// `rare_slip` passes no pair), and the records laid out for
    /// [`Comparisons::compare`].
    pub fn prepare(settings: &Settings, people: &[Person]) -> (Comparisons, Table) {
        let mut out = Comparisons::new(settings);
        let table = out.table(people);
        out.count_words(&table);
        (out, table)
    }

    /// The comparisons with the word counts of an earlier training (see
    /// [`Comparisons::word_counts`]), and `people` laid out for comparing:
    /// what a reused model compares with, so a pair's levels do not move
    /// with the records added since.
    pub fn prepare_with(
        settings: &Settings,
        people: &[Person],
        counts: &[Option<Vec<(u64, u32)>>],
    ) -> (Comparisons, Table) {
        let mut out = Comparisons::new(settings);
        let table = out.table(people);
        for (c, counts) in out.list.iter_mut().zip(counts) {
            c.words = counts.as_ref().map(|v| WordCounts(v.iter().copied().collect()));
        }
        (out, table)
    }

    /// Per comparison, the records per word its `rare_slip` level read
    /// (by the word's hash, sorted), or None: saved with a trained model.
    pub fn word_counts(&self) -> Vec<Option<Vec<(u64, u32)>>> {
        self.list
            .iter()
            .map(|c| {
                c.words.as_ref().map(|w| {
                    let mut v: Vec<(u64, u32)> = w.0.iter().map(|(&k, &n)| (k, n)).collect();
                    v.sort_unstable();
                    v
                })
            })
            .collect()
    }

    /// Count, over the records of `table`, the words of every comparison
    /// with a `rare_slip` level.
    fn count_words(&mut self, table: &Table) {
        let width = table.columns.len();
        for (at, (c, column)) in self.list.iter_mut().zip(&table.columns).enumerate() {
            let Column::Text { values, text, .. } = column else {
                continue;
            };
            if !c.tests.iter().any(|t| matches!(t, LevelTest::RareSlip { .. })) {
                continue;
            }
            // Records per distinct value, then per word of each value.
            let mut records = vec![0u32; values.len()];
            for row in table.slots.chunks_exact(width) {
                if row[at] != EMPTY {
                    records[(row[at] >> 32) as usize] += 1;
                }
            }
            let mut words = WordCounts::default();
            for (of, n) in values.iter().zip(records) {
                let w = Spelt { of, text }.words();
                for (i, word) in w.iter().enumerate() {
                    // A word twice in one name counts once.
                    if w.iter().take(i).all(|u| u != word) {
                        *words.0.entry(WordCounts::key(word)).or_default() += n;
                    }
                }
            }
            c.words = Some(words);
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The records' values laid out for [`Comparisons::compare`].
    fn table(&self, people: &[Person]) -> Table {
        use rayon::prelude::*;
        let (columns, by_column): (Vec<Column>, Vec<Vec<u64>>) =
            self.list.par_iter().map(|c| Column::of(c.id, people)).unzip();
        let width = columns.len();
        let mut slots = vec![EMPTY; people.len() * width];
        for (c, column) in by_column.iter().enumerate() {
            for (row, &slot) in column.iter().enumerate() {
                slots[row * width + c] = slot;
            }
        }
        Table { slots, columns }
    }

    /// The level of every comparison for the pair of records `a` and `b`
    /// of `table`.
    pub fn compare(&self, table: &Table, a: u32, b: u32) -> Levels {
        let width = table.columns.len();
        let row = |i: u32| &table.slots[i as usize * width..(i as usize + 1) * width];
        let mut out = [NULL; MAX];
        for ((((slot, c), column), &x), &y) in out
            .iter_mut()
            .zip(&self.list)
            .zip(&table.columns)
            .zip(row(a))
            .zip(row(b))
        {
            *slot = c.level_of(column, x, y).unwrap_or(NULL);
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
            id: Field::checked(&spec.field),
            labels: spec.labels(),
            tests: spec.levels.clone(),
            exact_first: matches!(spec.levels.first(), Some(LevelTest::Exact { .. })),
            contradicts: spec.contradictions(),
            term_frequency: spec.term_frequency,
            shared: spec.evidence == Evidence::Shared,
            else_neutral: spec.else_neutral,
            words: None,
        }
    }

    /// The number of levels, "else" included.
    pub fn levels(&self) -> usize {
        self.labels.len()
    }

    /// The level of the pair `a`, `b`; `None` when either side lacks the
    /// field. For one pair (tests, explanations); linkage compares its
    /// records through a [`Table`].
    pub fn level(&self, a: &Person, b: &Person) -> Option<u8> {
        let (column, slots) = Column::of(self.id, &[a.clone(), b.clone()]);
        self.level_of(&column, slots[0], slots[1])
    }

    /// The level of a pair whose slots on this comparison are `a` and `b`.
    fn level_of(&self, column: &Column, a: u64, b: u64) -> Option<u8> {
        // A column numbers each distinct text once, and a number is its own
        // slot: on an exact first level, equal slots are level 0, and
        // unequal ones "else" where exact is the only level (a phone, a
        // district), without reading the values. At a million records,
        // most of the 32 million pairs compared.
        if self.exact_first && a != EMPTY && b != EMPTY {
            let same = match column {
                Column::Text { .. } => Some(a >> 32 == b >> 32),
                Column::Number => Some(a == b),
                Column::Date | Column::Birth => None,
            };
            match same {
                Some(true) => return Some(0),
                Some(false) if self.tests.len() == 1 => return Some(1),
                _ => {}
            }
        }
        let (mut x, mut y) = (column.value(a)?, column.value(b)?);
        if let (Value::Birth(p), Value::Birth(q)) = (&mut x, &mut y) {
            if p.year.is_some() && q.year.is_some() {
                // Both years known: the ages at rescue are not read.
                (p.age, q.age) = (None, None);
            } else if p.age.is_none() || q.age.is_none() {
                // No year of birth on a side, and no age at rescue to
                // compare instead: nothing (not a disagreement).
                return None;
            }
        }
        let at = self.tests.iter().position(|t| match t {
            LevelTest::RareSlip {
                rarest,
                ratio,
                transposition,
                ..
            } => self.rare_slip(&x, &y, (*rarest, *ratio), *transposition),
            _ => passes(t, &x, &y),
        });
        Some(at.unwrap_or(self.tests.len()) as u8)
    }

    /// Two names of as many words, equal but for one word each, and those
    /// two a single edit apart (with `transposition`, two neighbouring
    /// letters swapped) with the rarer seen on at most `rarest` records and
    /// the other on at least `ratio` times as many.
    fn rare_slip(&self, a: &Value, b: &Value, (rarest, ratio): (u32, u32), transposition: bool) -> bool {
        let (Some(words), Value::Name(_, x), Value::Name(_, y)) = (&self.words, a, b) else {
            return false;
        };
        let (x, y) = (x.words(), y.words());
        if x.len != y.len {
            return false;
        }
        let mut only_x = x.iter().filter(|w| !y.contains(w));
        let mut only_y = y.iter().filter(|w| !x.contains(w));
        let (Some(u), None, Some(v), None) = (only_x.next(), only_x.next(), only_y.next(), only_y.next()) else {
            return false;
        };
        let slip = if transposition {
            transposed(u.as_bytes(), v.as_bytes())
        } else {
            within_edits(u, v, 1, true) && first_letters_could_slip(u, v)
        };
        if !slip {
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
        Some(match raw(p, self.id)? {
            Raw::Name(n) => Cow::Borrowed(n.canonical.as_str()),
            Raw::Text(t) => Cow::Borrowed(t),
            Raw::Date(d) => Cow::Owned(d.to_string()),
            Raw::Birth(d, _) => Cow::Owned(d?.to_string()),
            Raw::Number(n) => Cow::Owned(n.to_string()),
        })
    }
}

fn passes(test: &LevelTest, a: &Value, b: &Value) -> bool {
    use LevelTest as T;
    let birth = |v: &Value| match v {
        Value::Birth(b) => b.dob,
        _ => None,
    };
    match (test, a, b) {
        // One column numbers one value once: equal numbers, equal values.
        (T::Exact { .. }, Value::Name(x, _) | Value::Text(x, _), Value::Name(y, _) | Value::Text(y, _)) => {
            x.value == y.value
        }
        (T::Exact { .. }, Value::Date(x), Value::Date(y)) => x == y,
        (T::Exact { .. }, Value::Birth(_), Value::Birth(_)) => birth(a).is_some() && birth(a) == birth(b),
        (T::Exact { .. }, Value::Number(x), Value::Number(y)) => x == y,
        (T::Folded { .. }, Value::Name(x, _) | Value::Text(x, _), Value::Name(y, _) | Value::Text(y, _)) => {
            x.folded == y.folded
        }
        (T::JaroWinkler { min, same_initial, .. }, Value::Name(_, x), Value::Name(_, y)) => {
            tokens_close(&x.words(), &y.words(), |s, t| {
                (!same_initial || same_initial_sound(s, t)) && jaro_winkler(s, t) >= *min
            })
        }
        (T::JaroWinkler { min, same_initial, .. }, Value::Text(_, x), Value::Text(_, y)) => {
            let (x, y) = (x.str(), y.str());
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
        (T::Levenshtein { max, .. }, Value::Name(_, x) | Value::Text(_, x), Value::Name(_, y) | Value::Text(_, y)) => {
            within_edits(x.str(), y.str(), *max, false)
        }
        (
            T::DamerauLevenshtein { max, .. },
            Value::Name(_, x) | Value::Text(_, x),
            Value::Name(_, y) | Value::Text(_, y),
        ) => within_edits(x.str(), y.str(), *max, true),
        (T::Levenshtein { max, .. }, _, _) => edits(a, b, strsim::levenshtein).is_some_and(|d| d <= *max),
        (T::DamerauLevenshtein { max, .. }, _, _) => edits(a, b, strsim::osa_distance).is_some_and(|d| d <= *max),
        (T::TokenSet { min, .. }, Value::Name(_, x) | Value::Text(_, x), Value::Name(_, y) | Value::Text(_, y)) => {
            jaccard(x.str(), y.str()) >= *min
        }
        (T::SharesToken { .. }, Value::Name(_, x), Value::Name(_, y)) => shares_token(&x.words(), &y.words()),
        (T::WithinDays { days, .. }, Value::Date(x), Value::Date(y)) => (*x - *y).num_days().abs() <= *days,
        (T::WithinDays { days, .. }, Value::Birth(_), Value::Birth(_)) => match (birth(a), birth(b)) {
            (Some(x), Some(y)) => (x - y).num_days().abs() <= *days,
            _ => false,
        },
        (T::TransposedDayMonth { .. }, _, _) => {
            let (x, y) = match (a, b) {
                (Value::Date(x), Value::Date(y)) => (*x, *y),
                (Value::Birth(_), Value::Birth(_)) => match (birth(a), birth(b)) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return false,
                },
                _ => return false,
            };
            x.year() == y.year() && x.month() == y.day() && x.day() == y.month() && x != y
        }
        (T::YearsWithin { years, .. }, Value::Date(x), Value::Date(y)) => (x.year() - y.year()).abs() <= *years,
        (T::YearsWithin { years, .. }, Value::Birth(x), Value::Birth(y)) => match (x.year, y.year, x.age, y.age) {
            (Some(x), Some(y), ..) => (x - y).abs() <= *years,
            // No year on one side: ages at rescue apart by as many years.
            (_, _, Some(x), Some(y)) => (x - y).abs() <= *years,
            _ => false,
        },
        (T::Within { n, .. }, Value::Number(x), Value::Number(y)) => (x - y).abs() <= *n,
        _ => false,
    }
}

/// The edit distance between two dates (or dates of birth) by their eight
/// digits: a keying slip in a date. Text is counted by `within_edits`.
fn edits(a: &Value, b: &Value, distance: fn(&str, &str) -> usize) -> Option<usize> {
    let date = |d: &chrono::NaiveDate| d.format("%Y%m%d").to_string();
    let (x, y) = match (a, b) {
        (Value::Date(x), Value::Date(y)) => (*x, *y),
        (Value::Birth(x), Value::Birth(y)) => (x.dob?, y.dob?),
        _ => return None,
    };
    Some(distance(&date(&x), &date(&y)))
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

/// Whether `b` is `a` with two neighbouring, different letters swapped and
/// nothing else changed (one transposition in optimal string alignment).
pub(crate) fn transposed(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let Some(p) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return false;
    };
    p + 1 < a.len() && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..]
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
        (Value::Name(_, x) | Value::Text(_, x), Value::Name(_, y) | Value::Text(_, y)) => {
            tokens_close(&x.words(), &y.words(), same_start)
        }
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
fn tokens_close(x: &Words, y: &Words, close: impl Fn(&str, &str) -> bool) -> bool {
    let (short, long) = if x.len <= y.len { (x, y) } else { (y, x) };
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
fn shares_token(x: &Words, y: &Words) -> bool {
    x.iter().any(|t| y.contains(t)) && (x.iter().any(|t| !y.contains(t)) || y.iter().any(|t| !x.contains(t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::Person;

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
        use crate::settings::FieldKind;
        let d = chrono::NaiveDate::from_ymd_opt(2001, 2, 3);
        let p = Person {
            guardian: NameKey::new("Abdul Sk"),
            phone: Some("9800000000".into()),
            identifier: Some("X1".into()),
            village: Some("v".into()),
            block: Some("b".into()),
            address: Some("house 4".into()),
            case: Some("C-1".into()),
            district: Some("Nadia".into()),
            dob: d,
            age: Some(20),
            rescue: d,
            registered: d,
            ..Person::default()
        }
        .with_name(Some("Rina Das"));
        for field in Field::ALL {
            let (name, kind) = (field.name(), field.kind());
            let v = raw(&p, field).unwrap_or_else(|| panic!("{name} is not read"));
            let read = match v {
                Raw::Name(_) => FieldKind::Name,
                Raw::Text(_) => FieldKind::Text,
                Raw::Date(_) => FieldKind::Date,
                Raw::Birth(..) => FieldKind::Birth,
                Raw::Number(_) => FieldKind::Number,
            };
            assert_eq!(read, kind, "{name}");
        }
    }

    fn settings() -> Settings {
        crate::shipped("survivors").unwrap()
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
                assert_eq!(initial_sound(a), crate::names::skeleton(a).chars().next(), "{a}");
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
            Some(4),
            "a slip after the first letter"
        );
        assert_eq!(
            level("Fqtema Adak", "Fatima Adak"),
            Some(5),
            "a slip on a spelling variant: two edits, same initials"
        );
        assert_eq!(level("ফাতেমা সাঁতরা", "Fatima Santra"), Some(3), "every word similar");
        assert!(super::same_initial_sound("phatema", "fatima"));
        assert!(super::same_initial_sound("vina", "bina"));
        assert!(super::same_initial_sound("sircar", "sarkar"));
        assert!(!super::same_initial_sound("rina", "mina"));
        assert_eq!(
            level("Rina Khatun", "Mina Khatun"),
            Some(7),
            "sisters: a shared surname only"
        );
        assert_eq!(
            level("Rahima Bibi", "Fahima Bibi"),
            Some(7),
            "as close as a slip, but at the first letter"
        );
        assert!(c.list[name].contradicts[7]);
        assert_eq!(level("Rina Khatun", "Salma Bibi"), Some(8), "else");
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
        let (c, _) = Comparisons::prepare(&settings(), &people);
        let name = c.index("name").unwrap();
        let level = |a: &str, b: &str| c.list[name].level(&named(a), &named(b));
        assert_eq!(
            level("KAXMI BARMAN", "Laxmi Barman"),
            Some(6),
            "a slip at the first letter"
        );
        assert_eq!(level("Rahima Mridha", "Jridha Rahima"), Some(6), "in the surname too");
        assert!(!c.list[name].contradicts[6]);
        assert_eq!(
            level("Mina Khatun", "Rina Khatun"),
            Some(7),
            "two names both in use: sisters"
        );
        assert_eq!(level("Mina Barman", "Laxmi Barman"), Some(7), "not one edit");
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
        assert_eq!(level("Kaxmi Khatun", "Laxmi Barman"), Some(8), "two words differ");
        // Without the counts (comparisons not built over the records), the
        // level passes no pair.
        let bare = Comparisons::new(&settings());
        assert_eq!(
            bare.list[name].level(&named("Kaxmi Barman"), &named("Laxmi Barman")),
            Some(7)
        );
    }

    #[test]
    fn a_birth_packs_into_one_slot_and_back() {
        let d = chrono::NaiveDate::from_ymd_opt;
        for b in [
            Birth {
                dob: d(1999, 4, 9),
                year: Some(1999),
                age: Some(17),
            },
            Birth {
                dob: None,
                year: Some(-40),
                age: None,
            },
            Birth {
                dob: d(1, 1, 1),
                year: None,
                age: Some(0),
            },
            Birth {
                dob: None,
                year: None,
                age: Some(-1),
            },
        ] {
            assert_eq!(Birth::unpack(b.pack()), b);
            assert_ne!(b.pack(), EMPTY);
        }
        // A year past 16 bits is no year (a typing slip, not a birth).
        let far = Birth {
            dob: None,
            year: Some(40_000),
            age: Some(20),
        };
        assert_eq!(Birth::unpack(far.pack()).year, None);
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
                Field::Dob,
                &mut std::collections::hash_map::DefaultHasher::new()
            ),
            None,
            "a year is not a date to block on"
        );
    }
}
