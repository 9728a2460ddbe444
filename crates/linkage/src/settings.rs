//! The linkage settings (`linkage.toml` beside `tafteesh.toml`, else the
//! compiled-in `schemas/linkage/settings.toml`): what an operator may say
//! about record linkage, checked with the rest of the config.
//!
//! The settings only describe, the way splink's `SettingsCreator` and
//! `comparison_library` do: which fields are compared, on which ordered
//! levels, which pairs are compared at all (blocking rules), which pairs
//! may be linked (the link type), and the threshold. [`crate::link`] does
//! the linking and [`crate::fields`] reads each field from a record.
//!
//! A `linkage.toml` need not repeat everything: each top-level key it
//! leaves out comes from its base, the survivor settings or, with
//! `defaults = "generic"`, `schemas/linkage/generic.toml` (settings for
//! person records that are not survivors' case files: name, date of birth,
//! address, an identifier). An unknown key, a field or level that does not
//! exist, or a level a field cannot have (a Jaro-Winkler threshold on a
//! date) is refused, naming the file.

use serde::{Deserialize, Serialize};

/// The most comparisons a settings file may declare (a pair's levels are a
/// fixed array of this many, `link::fields::Levels`).
pub const MAX_COMPARISONS: usize = 16;

/// What a field holds, which decides the levels it can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A person's name: transliterated, variants folded, tokens sorted.
    Name,
    /// Free text or a code (village, phone, identifier, district).
    Text,
    /// A date.
    Date,
    /// Date of birth, falling back to the year of birth from age.
    Birth,
    /// A whole number.
    Number,
}

/// A field comparisons and blocking rules may name. `fields` reads each
/// from a record by its variant (a `match` the compiler checks whole), and
/// the settings name it by [`Field::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    /// The name for blocking, its words' letters after the first sorted,
    /// so two neighbouring letters swapped (Ajnali, Anjali) leave the key
    /// as it is; compared as the name.
    NameLetters,
    GivenName,
    Surname,
    Guardian,
    Phone,
    Identifier,
    Village,
    /// The rest of the home address as written (house, street, post
    /// office, landmark), where a register has more than a village.
    Address,
    /// The linked case (FIR) the record is attached to, by the case rules
    /// that need no person: relational evidence, shared by co-victims.
    Case,
    Block,
    District,
    Dob,
    BirthYear,
    Age,
    RescueDate,
    RegisteredDate,
}

impl Field {
    /// Every field, in the order the settings' problems list them.
    pub const ALL: [Field; 17] = [
        Field::Name,
        Field::NameLetters,
        Field::GivenName,
        Field::Surname,
        Field::Guardian,
        Field::Phone,
        Field::Identifier,
        Field::Village,
        Field::Address,
        Field::Case,
        Field::Block,
        Field::District,
        Field::Dob,
        Field::BirthYear,
        Field::Age,
        Field::RescueDate,
        Field::RegisteredDate,
    ];

    /// Its name in a settings file.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::NameLetters => "name_letters",
            Field::GivenName => "given_name",
            Field::Surname => "surname",
            Field::Guardian => "guardian",
            Field::Phone => "phone",
            Field::Identifier => "identifier",
            Field::Village => "village",
            Field::Address => "address",
            Field::Case => "case",
            Field::Block => "block",
            Field::District => "district",
            Field::Dob => "dob",
            Field::BirthYear => "birth_year",
            Field::Age => "age",
            Field::RescueDate => "rescue_date",
            Field::RegisteredDate => "registered_date",
        }
    }

    /// What it holds.
    pub fn kind(self) -> FieldKind {
        match self {
            Field::Name | Field::NameLetters | Field::GivenName | Field::Surname | Field::Guardian => FieldKind::Name,
            Field::Phone
            | Field::Identifier
            | Field::Village
            | Field::Address
            | Field::Case
            | Field::Block
            | Field::District => FieldKind::Text,
            Field::Dob => FieldKind::Birth,
            Field::BirthYear | Field::Age => FieldKind::Number,
            Field::RescueDate | Field::RegisteredDate => FieldKind::Date,
        }
    }

    /// The field called `name`, if there is one.
    pub fn named(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field called `name` in settings that passed their check, which
    /// refuses any other.
    pub fn checked(name: &str) -> Field {
        Field::named(name).unwrap_or_else(|| unreachable!("field `{name}` passed the settings check"))
    }
}

/// The kind of a field, if the field exists.
pub fn field_kind(name: &str) -> Option<FieldKind> {
    Field::named(name).map(Field::kind)
}

/// Which pairs of records may be linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Any two records, of one partner or of two.
    #[default]
    LinkAndDedupe,
    /// Only records of different partners (each partner's file is already
    /// one record per person).
    LinkOnly,
    /// Only records of the same partner.
    Dedupe,
}

/// What a comparison's agreement says of two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Evidence about the person: her name, her birth, her identifier.
    #[default]
    Personal,
    /// Shared with her household or the people rescued with her (guardian,
    /// phone, village, rescue date): agreement here is not evidence of the
    /// same person when a personal comparison contradicts.
    Shared,
}

/// One level of a comparison: the test a pair must pass to be put on it.
/// Levels are tried in order; a pair that passes none is on the implicit
/// last level, "else".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LevelTest {
    /// Equal as compared (names: canonical form; text: trimmed, lower
    /// case; dates: the same day).
    Exact {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Equal after folding: names by consonant skeleton, text to letters
    /// and digits only.
    Folded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Jaro-Winkler similarity at least `min`: for names, every token of
    /// the shorter name against its closest token in the other. With
    /// `same_initial`, each token must also start with the letter its
    /// match starts with: a slip of the keyboard rarely hits the first
    /// letter, and sisters' names often differ only there (Rina, Mina).
    JaroWinkler {
        min: f64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        same_initial: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// At most `max` single-character edits (characters, not bytes; a
    /// date as its eight digits, yyyymmdd). With `same_initial` (names
    /// and text), word by word instead: every word of the shorter within
    /// `max` edits of a word of the other that starts with its letter.
    Levenshtein {
        max: usize,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        same_initial: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// At most `max` edits, swapping two neighbouring characters counting
    /// as one (4213 for 4231): keying slips in numbers and codes.
    DamerauLevenshtein {
        max: usize,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        same_initial: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Shared tokens over all tokens (Jaccard) at least `min`.
    TokenSet {
        min: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Names that share a token (a surname) while another token clearly
    /// differs (Rina Khatun, Mina Khatun): sisters, not spellings.
    SharesToken {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Names of as many words, all equal but one, and that one a single
    /// edit from its counterpart (at the first letter only by a
    /// neighbouring key on a keyboard), where the data says which is the
    /// slip: the rarer of the two words is seen in
    /// this field on at most `rarest` records and the other on at least
    /// `ratio` times as many. "Kaxmi Barman" (once) against "Laxmi Barman"
    /// (hundreds) is a slip; "Mina" against "Rina", both common, stays
    /// two sisters. The counts are taken over the records being linked.
    /// With `transposition`, the one edit must be two neighbouring letters
    /// swapped (optimal string alignment: Ajnali for Anjali), a slip of the
    /// fingers that sisters' names almost never are, weighed on its own
    /// level.
    RareSlip {
        #[serde(default = "default_rarest")]
        rarest: u32,
        #[serde(default = "default_ratio")]
        ratio: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        transposition: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Dates at most `days` apart.
    WithinDays {
        days: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Day and month swapped (04/09 for 09/04), the same year.
    TransposedDayMonth {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Years at most `years` apart (for a date of birth: the year of
    /// birth, from age where the date is not known).
    YearsWithin {
        years: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
    /// Numbers at most `n` apart.
    Within {
        n: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        contradicts: bool,
    },
}

impl LevelTest {
    fn parts(&self) -> (&Option<String>, bool) {
        use LevelTest::*;
        match self {
            Exact { label, contradicts }
            | Folded { label, contradicts }
            | JaroWinkler { label, contradicts, .. }
            | Levenshtein { label, contradicts, .. }
            | DamerauLevenshtein { label, contradicts, .. }
            | TokenSet { label, contradicts, .. }
            | SharesToken { label, contradicts }
            | RareSlip { label, contradicts, .. }
            | WithinDays { label, contradicts, .. }
            | TransposedDayMonth { label, contradicts }
            | YearsWithin { label, contradicts, .. }
            | Within { label, contradicts, .. } => (label, *contradicts),
        }
    }

    /// Whether a pair on this level contradicts being one person.
    pub fn contradicts(&self) -> bool {
        self.parts().1
    }

    /// The level's label: given, or made from its test.
    pub fn label(&self) -> String {
        if let Some(l) = self.parts().0 {
            return l.clone();
        }
        match self {
            LevelTest::Exact { .. } => "exact".into(),
            LevelTest::Folded { .. } => "exact after folding".into(),
            LevelTest::JaroWinkler {
                min,
                same_initial: true,
                ..
            } => format!("jaro-winkler >= {min}, same initials"),
            LevelTest::JaroWinkler { min, .. } => format!("jaro-winkler >= {min}"),
            LevelTest::Levenshtein {
                max,
                same_initial: true,
                ..
            } => format!("levenshtein <= {max} per word, same initials"),
            LevelTest::Levenshtein { max, .. } => format!("levenshtein <= {max}"),
            LevelTest::DamerauLevenshtein {
                max,
                same_initial: true,
                ..
            } => format!("damerau-levenshtein <= {max} per word, same initials"),
            LevelTest::DamerauLevenshtein { max, .. } => format!("damerau-levenshtein <= {max}"),
            LevelTest::TokenSet { min, .. } => format!("token set >= {min}"),
            LevelTest::SharesToken { .. } => "shares a token, another differs".into(),
            LevelTest::RareSlip {
                rarest,
                ratio,
                transposition: true,
                ..
            } => format!(
                "one word two neighbouring letters swapped (seen on <= {rarest} records, its match {ratio}x as often)"
            ),
            LevelTest::RareSlip { rarest, ratio, .. } => {
                format!("one word a slip (seen on <= {rarest} records, its match {ratio}x as often)")
            }
            LevelTest::WithinDays { days, .. } => format!("within {days} days"),
            LevelTest::TransposedDayMonth { .. } => "day and month transposed".into(),
            LevelTest::YearsWithin { years, .. } => format!("years within {years}"),
            LevelTest::Within { n, .. } => format!("within {n}"),
        }
    }

    /// Why this level cannot be used on a field of `kind`, if it cannot.
    fn unfit_for(&self, kind: FieldKind) -> Option<String> {
        use FieldKind::*;
        let ok = match self {
            LevelTest::Exact { .. } => true,
            LevelTest::Folded { .. } => matches!(kind, Name | Text),
            LevelTest::JaroWinkler { min, .. } | LevelTest::TokenSet { min, .. } => {
                if !(0.0..=1.0).contains(min) {
                    return Some(format!("`{}` needs `min` between 0 and 1", self.kind()));
                }
                matches!(kind, Name | Text)
            }
            LevelTest::Levenshtein { same_initial, .. } | LevelTest::DamerauLevenshtein { same_initial, .. } => {
                if *same_initial {
                    matches!(kind, Name | Text)
                } else {
                    matches!(kind, Name | Text | Date | Birth)
                }
            }
            LevelTest::SharesToken { .. } => kind == Name,
            LevelTest::RareSlip { ratio, .. } => {
                if *ratio < 2 {
                    return Some("`rare_slip` needs a `ratio` of 2 or more".into());
                }
                kind == Name
            }
            LevelTest::WithinDays { days, .. } => {
                if *days < 0 {
                    return Some("`within_days` needs `days` of 0 or more".into());
                }
                matches!(kind, Date | Birth)
            }
            LevelTest::TransposedDayMonth { .. } => matches!(kind, Date | Birth),
            LevelTest::YearsWithin { years, .. } => {
                if *years < 0 {
                    return Some("`years_within` needs `years` of 0 or more".into());
                }
                matches!(kind, Date | Birth)
            }
            LevelTest::Within { n, .. } => {
                if *n < 0 {
                    return Some("`within` needs `n` of 0 or more".into());
                }
                kind == Number
            }
        };
        (!ok).then(|| format!("a `{}` level cannot compare a {kind:?} field", self.kind()))
    }

    fn kind(&self) -> &'static str {
        match self {
            LevelTest::Exact { .. } => "exact",
            LevelTest::Folded { .. } => "folded",
            LevelTest::JaroWinkler { .. } => "jaro_winkler",
            LevelTest::Levenshtein { .. } => "levenshtein",
            LevelTest::DamerauLevenshtein { .. } => "damerau_levenshtein",
            LevelTest::TokenSet { .. } => "token_set",
            LevelTest::SharesToken { .. } => "shares_token",
            LevelTest::RareSlip { .. } => "rare_slip",
            LevelTest::WithinDays { .. } => "within_days",
            LevelTest::TransposedDayMonth { .. } => "transposed_day_month",
            LevelTest::YearsWithin { .. } => "years_within",
            LevelTest::Within { .. } => "within",
        }
    }
}

fn default_rarest() -> u32 {
    2
}

fn default_ratio() -> u32 {
    10
}

/// One comparison: a field, its ordered levels, and how its evidence counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    /// The name reports use (defaults to the field's).
    #[serde(default)]
    pub name: Option<String>,
    /// The field compared (see [`Field`]).
    pub field: String,
    /// Levels, best first; "else" is added last. A pair where either side
    /// lacks the field is on no level: no evidence either way.
    pub levels: Vec<LevelTest>,
    /// Agreement on the first level weighs by how common the value is
    /// (agreeing on a rare name says more than on a common one).
    #[serde(default)]
    pub term_frequency: bool,
    #[serde(default)]
    pub evidence: Evidence,
    /// The implicit last level, "else", contradicts being one person.
    #[serde(default)]
    pub else_contradicts: bool,
    /// The implicit last level, "else", counts for nothing: agreement is
    /// evidence and disagreement is not (a survivor attached to a rescue
    /// FIR in the destination state and a missing-person FIR at home is
    /// one woman in two cases).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub else_neutral: bool,
}

impl ComparisonSpec {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.field)
    }

    /// Level labels, best first, "else" last.
    pub fn labels(&self) -> Vec<String> {
        self.levels
            .iter()
            .map(LevelTest::label)
            .chain(std::iter::once("else".to_string()))
            .collect()
    }

    /// Per level (with "else" last): whether it contradicts being one person.
    pub fn contradictions(&self) -> Vec<bool> {
        self.levels
            .iter()
            .map(LevelTest::contradicts)
            .chain(std::iter::once(self.else_contradicts))
            .collect()
    }
}

/// A strict rule for the prior (splink's deterministic rules): each entry
/// names a comparison and the worst level (0 is the best) a pair may have
/// on it. Pairs meeting any rule are taken as sure matches.
pub type DeterministicRule = std::collections::BTreeMap<String, usize>;

/// Linkage settings. Defaults: `schemas/linkage/settings.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The base whose keys fill what this file leaves out: `survivors`
    /// (the default) or `generic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<String>,
    #[serde(default)]
    pub link_type: LinkType,
    /// The comparisons: each puts a pair on one of its levels.
    pub comparisons: Vec<ComparisonSpec>,
    /// Each rule lists fields that must all be equal (and known) for a pair
    /// to be compared; the pairs compared are the union over the rules.
    /// Names block on their consonant skeleton.
    pub blocking: Vec<Vec<String>>,
    /// The blocking rules whose pairs EM trains m on, each a session of its
    /// own (unset: every rule). Each must be one of `blocking`. A rule
    /// that mostly pairs households (a father's name, an age, a district)
    /// would teach EM that a match's names often differ: predict with it,
    /// train without it, as splink keeps its training rules apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub em_blocking: Option<Vec<Vec<String>>>,
    /// A block larger than this is skipped (and counted): such a key is too
    /// common to say anything, and would cost its size squared.
    pub max_block: usize,
    /// Pairs with a match probability at or above this are linked.
    pub link_probability: f64,
    /// Pairs compared and scored below this can never end in one cluster,
    /// whatever chain of other links joins them.
    pub cannot_link_probability: f64,
    /// Random pairs compared to estimate u.
    pub u_sample_pairs: usize,
    pub em_iterations: usize,
    /// Strict rules whose pairs are taken as matches, for the prior.
    pub deterministic: Vec<DeterministicRule>,
    /// The share of true matches the deterministic rules are assumed to find.
    pub deterministic_recall: f64,
    /// The highest match probability that agreement on `shared` evidence
    /// alone can give a pair: what a household (a father, a phone, a
    /// village, a rescue) says is "the same family", and a family may hold
    /// sisters. Personal evidence (name, birth, identifier) must carry the
    /// pair the rest of the way. Shared weights are scaled down together,
    /// never below zero, so their sum stays under the limit. Unset or 1:
    /// no limit (the generic settings set none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_evidence_limit: Option<f64>,
    /// A record without a name that no link reached joins the one person
    /// its pairs point to when one of them scores at least this and no
    /// pair with anyone else scores within eight times its odds: her
    /// household's fields name one person in the data, not sisters to
    /// choose between. Unset: no such step (the generic settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sole_candidate_probability: Option<f64>,
    /// The model is trained again once more than this share of the records
    /// it was trained on has changed (added, removed or edited, summed over
    /// the nights since); until then a night reuses it and scores only the
    /// pairs that hold a changed record (see `link::state`). 0: train every
    /// night.
    #[serde(default = "default_retrain_after")]
    pub retrain_after: f64,
}

fn default_retrain_after() -> f64 {
    0.1
}

/// The bases a `linkage.toml` may name in `defaults`, and their files
/// under `schemas/`.
pub const BASES: [(&str, &str); 2] = [
    ("survivors", "linkage/settings.toml"),
    ("generic", "linkage/generic.toml"),
];

impl Settings {
    /// Whether EM trains on the pairs of blocking rule `rule`.
    pub fn trains_on(&self, rule: &[String]) -> bool {
        self.em_blocking
            .as_ref()
            .is_none_or(|rules| rules.iter().any(|r| r == rule))
    }

    /// The comparison called `name`, by index.
    pub fn comparison(&self, name: &str) -> Option<usize> {
        self.comparisons.iter().position(|c| c.name() == name)
    }

    /// Problems with the settings; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        if let Some(d) = &self.defaults
            && !BASES.iter().any(|(b, _)| b == d)
        {
            out.push(format!("defaults `{d}` is not one of: survivors, generic"));
        }
        if self.comparisons.is_empty() {
            out.push("no comparisons: nothing to link on".into());
        }
        if self.comparisons.len() > MAX_COMPARISONS {
            out.push(format!("at most {MAX_COMPARISONS} comparisons"));
        }
        let mut names = std::collections::HashSet::new();
        for c in &self.comparisons {
            let Some(kind) = field_kind(&c.field) else {
                out.push(format!(
                    "comparison `{}`: field `{}` is not one of: {}",
                    c.name(),
                    c.field,
                    fields.join(", ")
                ));
                continue;
            };
            if !names.insert(c.name().to_string()) {
                out.push(format!("two comparisons are called `{}`", c.name()));
            }
            if c.levels.is_empty() {
                out.push(format!("comparison `{}` has no levels", c.name()));
            }
            if c.levels.len() > 12 {
                out.push(format!("comparison `{}` has more than 12 levels", c.name()));
            }
            for (i, l) in c.levels.iter().enumerate() {
                if let Some(why) = l.unfit_for(kind) {
                    out.push(format!("comparison `{}`, level {}: {why}", c.name(), i + 1));
                }
            }
        }
        if self.blocking.is_empty() {
            out.push("no blocking rules: no pair would be compared".into());
        }
        for rule in &self.blocking {
            if rule.is_empty() {
                out.push("a blocking rule lists no field".to_string());
            }
            for f in rule.iter().filter(|f| field_kind(f).is_none()) {
                out.push(format!("blocking field `{f}` is not one of: {}", fields.join(", ")));
            }
        }
        for rule in &self.deterministic {
            for (name, level) in rule {
                match self.comparison(name) {
                    None => out.push(format!("deterministic rule names no comparison `{name}`")),
                    Some(c) if *level >= self.comparisons[c].levels.len() => out.push(format!(
                        "deterministic rule: comparison `{name}` has levels 0 to {}, not {level}",
                        self.comparisons[c].levels.len() - 1
                    )),
                    _ => {}
                }
            }
        }
        if !(0.0..1.0).contains(&self.cannot_link_probability)
            || !(0.0..=1.0).contains(&self.link_probability)
            || self.cannot_link_probability >= self.link_probability
        {
            out.push("probabilities must satisfy 0 <= cannot_link_probability < link_probability <= 1".into());
        }
        if !(0.0..=1.0).contains(&self.retrain_after) {
            out.push("retrain_after must be between 0 and 1 (a share of the records)".into());
        }
        if !(self.deterministic_recall > 0.0 && self.deterministic_recall <= 1.0) {
            out.push("deterministic_recall must be above 0 and at most 1".into());
        }
        if let Some(x) = self.shared_evidence_limit
            && !(x > 0.0 && x <= 1.0)
        {
            out.push("shared_evidence_limit must be above 0 and at most 1 (1: no limit)".into());
        }
        if let Some(x) = self.sole_candidate_probability
            && !(x > self.cannot_link_probability && x <= self.link_probability)
        {
            out.push(
                "sole_candidate_probability must be above cannot_link_probability and at most link_probability".into(),
            );
        }
        if let Some(rules) = &self.em_blocking {
            for r in rules {
                if !self.blocking.contains(r) {
                    out.push(format!(
                        "em_blocking rule [{}] is not one of the blocking rules",
                        r.join(", ")
                    ));
                }
            }
            if rules.is_empty() {
                out.push("em_blocking names no rule (leave it out to train on every blocking rule)".into());
            }
        }
        if self.max_block < 2 {
            out.push("max_block must be at least 2".into());
        }
        out
    }
}

/// Settings from an operator's file: each top-level key it leaves out is
/// taken from its base (`defaults`, else the survivor settings). `base_text`
/// reads a base's TOML by its path under `schemas/`.
pub fn layered(text: &str, base_text: impl Fn(&str) -> Option<String>) -> Result<Settings, Vec<String>> {
    let own: toml::Table = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    let base_name = match own.get("defaults") {
        None => "survivors",
        Some(toml::Value::String(s)) => s.as_str(),
        Some(_) => return Err(vec!["defaults must be a string: survivors or generic".into()]),
    };
    let Some((_, rel)) = BASES.iter().find(|(b, _)| *b == base_name) else {
        return Err(vec![format!(
            "defaults `{base_name}` is not one of: survivors, generic"
        )]);
    };
    let base = base_text(rel).ok_or_else(|| vec![format!("schemas/{rel} is missing from the build")])?;
    let mut merged: toml::Table = toml::from_str(&base).map_err(|e| vec![format!("schemas/{rel}: {e}")])?;
    // The base's training rules are a choice among the base's blocking
    // rules: a file with blocking rules of its own trains on all of them
    // unless it says otherwise.
    if own.contains_key("blocking") && !own.contains_key("em_blocking") {
        merged.remove("em_blocking");
    }
    for (k, v) in own {
        merged.insert(k, v);
    }
    let settings: Settings = toml::Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| vec![e.to_string()])?;
    let problems = settings.problems();
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Result<Settings, Vec<String>> {
        layered(text, crate::shipped_text)
    }

    #[test]
    fn a_file_of_one_key_takes_the_rest_from_its_defaults() {
        let survivors = layer("").unwrap();
        let s = layer("link_probability = 0.9").unwrap();
        assert_eq!(s.link_probability, 0.9);
        assert_eq!(
            s.blocking, survivors.blocking,
            "no `missing field` for what it left out"
        );
        assert_eq!(s.comparisons, survivors.comparisons);
        let g = layer("defaults = \"generic\"\nlink_type = \"link_only\"").unwrap();
        assert_eq!(g.link_type, LinkType::LinkOnly);
        assert!(g.comparison("identifier").is_some() && g.comparison("guardian").is_none());
    }

    #[test]
    fn unknown_keys_fields_and_impossible_levels_are_refused() {
        let refused = |text: &str, expect: &str| {
            let problems = layer(text).expect_err(text).join("\n");
            assert!(problems.contains(expect), "{text}: {problems}");
        };
        refused("max_blocks = 10", "unknown field `max_blocks`");
        refused("defaults = \"febrl\"", "not one of: survivors, generic");
        refused(
            "[[comparisons]]\nfield = \"shoe_size\"\nlevels = [{ kind = \"exact\" }]",
            "field `shoe_size` is not one of",
        );
        refused(
            "[[comparisons]]\nfield = \"dob\"\nlevels = [{ kind = \"jaro_winkler\", min = 0.9 }]",
            "a `jaro_winkler` level cannot compare a Birth field",
        );
        refused(
            "[[comparisons]]\nfield = \"name\"\nlevels = [{ kind = \"jaro_winkler\", min = 9 }]",
            "needs `min` between 0 and 1",
        );
        refused(
            "[[comparisons]]\nfield = \"name\"\nlevels = [{ kind = \"soundex\" }]",
            "unknown variant `soundex`",
        );
        refused("deterministic = [{ name = 8 }]", "has levels 0 to");
        refused("blocking = [[\"shoe_size\"]]", "blocking field `shoe_size`");
        refused(
            "em_blocking = [[\"village\"]]",
            "em_blocking rule [village] is not one of",
        );
        refused("shared_evidence_limit = 1.5", "shared_evidence_limit must be above 0");
        refused(
            "[[comparisons]]\nfield = \"dob\"\nlevels = [{ kind = \"levenshtein\", max = 1, same_initial = true }]",
            "a `levenshtein` level cannot compare a Birth field",
        );
        // A file with blocking rules of its own trains on all of them.
        let own = layer("blocking = [[\"phone\"], [\"name\", \"dob\"]]").unwrap();
        assert_eq!(own.em_blocking, None);
        assert!(own.trains_on(&["phone".to_string()]));
        let shipped = layer("").unwrap();
        assert!(!shipped.trains_on(&["rescue_date".to_string(), "village".to_string()]));
    }

    #[test]
    fn the_shipped_settings_are_usable() {
        for (base, _) in BASES {
            let s = layer(&format!("defaults = \"{base}\"")).unwrap();
            assert!(s.problems().is_empty(), "{base}");
        }
    }
}
