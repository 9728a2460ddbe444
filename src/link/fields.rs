//! The survivor linkage's fields, declared once as data: each comparison
//! (its name, its ordered levels, how a pair is put on one, and the
//! blocking fields that force it to agree), and each blocking field (how a
//! record's key is read). The model, blocking, training and `link
//! --explain` all read these tables; nothing else matches comparisons by
//! position. Making the fields configurable (issue #16) means turning
//! these tables into settings.

use super::names::NameKey;
use super::person::Person;

/// A pair's level on each comparison, in the order of [`COMPARISONS`]:
/// 0 is the best level; `None` is "one side unknown", no evidence.
pub type Levels = [Option<u8>; N];

/// How many comparisons there are.
pub const N: usize = 9;

/// One comparison of two records.
pub struct Comparison {
    pub name: &'static str,
    /// Level labels, best first; "else" last.
    pub levels: &'static [&'static str],
    /// The blocking fields that force this comparison to agree: a training
    /// session of a rule that blocks on one learns nothing of its m.
    pub blocked_by: &'static [&'static str],
    pub compare: fn(&Person, &Person) -> Option<u8>,
}

const NAME_LEVELS: &[&str] = &[
    "exact",
    "same skeleton",
    "every token similar (jaro-winkler >= 0.88)",
    "else",
];
const EXACT_LEVELS: &[&str] = &["exact", "else"];

/// Index of the name comparison (term-frequency adjusted).
pub const NAME: usize = 0;
/// Index of the phone comparison.
pub const PHONE: usize = 2;
/// Index of the birth comparison.
pub const BIRTH: usize = 3;
/// Index of the other-identifier comparison.
pub const IDENTIFIER: usize = 8;

/// The comparisons, in the order of the model's m and u tables.
pub const COMPARISONS: [Comparison; N] = [
    Comparison {
        name: "name",
        levels: NAME_LEVELS,
        blocked_by: &["name"],
        compare: |a, b| name_level(&a.name, &b.name),
    },
    Comparison {
        name: "guardian",
        levels: NAME_LEVELS,
        blocked_by: &["guardian"],
        compare: |a, b| name_level(&a.guardian, &b.guardian),
    },
    Comparison {
        name: "phone",
        levels: EXACT_LEVELS,
        blocked_by: &["phone"],
        compare: |a, b| exact(&a.phone, &b.phone),
    },
    Comparison {
        name: "birth",
        levels: &[
            "same date of birth",
            "birth year within 1",
            "birth year within 3",
            "else",
        ],
        blocked_by: &["dob", "birth_year"],
        compare: birth_level,
    },
    Comparison {
        name: "district",
        levels: EXACT_LEVELS,
        blocked_by: &["district"],
        compare: |a, b| exact(&a.district, &b.district),
    },
    Comparison {
        name: "block",
        levels: EXACT_LEVELS,
        blocked_by: &["block"],
        compare: |a, b| exact(&a.block, &b.block),
    },
    Comparison {
        name: "village",
        levels: &["exact", "similar (jaro-winkler >= 0.9)", "else"],
        blocked_by: &["village"],
        compare: village_level,
    },
    Comparison {
        name: "rescue_date",
        levels: &["same day", "within 31 days", "else"],
        blocked_by: &["rescue_date"],
        compare: rescue_level,
    },
    Comparison {
        name: "identifier",
        levels: EXACT_LEVELS,
        blocked_by: &["identifier"],
        compare: |a, b| exact(&a.identifier, &b.identifier),
    },
];

/// A field blocking rules may name, and how a record's key is read.
pub struct BlockField {
    pub name: &'static str,
    pub key: fn(&Person) -> Option<String>,
}

/// The blocking fields. Names and guardians block on consonant skeletons.
pub const BLOCK_FIELDS: [BlockField; 10] = [
    BlockField {
        name: "name",
        key: |p| p.name.as_ref().map(|n| n.skeleton.clone()),
    },
    BlockField {
        name: "guardian",
        key: |p| p.guardian.as_ref().map(|n| n.skeleton.clone()),
    },
    BlockField {
        name: "phone",
        key: |p| p.phone.clone(),
    },
    BlockField {
        name: "dob",
        key: |p| p.dob.map(|d| d.to_string()),
    },
    BlockField {
        name: "birth_year",
        key: |p| p.birth_year().map(|y| y.to_string()),
    },
    BlockField {
        name: "district",
        key: |p| p.district.clone(),
    },
    BlockField {
        name: "block",
        key: |p| p.block.clone(),
    },
    BlockField {
        name: "village",
        key: |p| p.village.clone(),
    },
    BlockField {
        name: "rescue_date",
        key: |p| p.rescue.map(|d| d.to_string()),
    },
    BlockField {
        name: "identifier",
        key: |p| p.identifier.clone(),
    },
];

/// The blocking field called `name`, if there is one.
pub fn block_field(name: &str) -> Option<&'static BlockField> {
    BLOCK_FIELDS.iter().find(|f| f.name == name)
}

/// The level of every comparison for one pair.
pub fn compare(a: &Person, b: &Person) -> Levels {
    std::array::from_fn(|c| (COMPARISONS[c].compare)(a, b))
}

/// The comparisons a blocking rule forces to agree, sorted.
pub fn fixed_by(rule: &[String]) -> Vec<usize> {
    (0..N)
        .filter(|&c| COMPARISONS[c].blocked_by.iter().any(|f| rule.iter().any(|r| r == f)))
        .collect()
}

fn name_level(a: &Option<NameKey>, b: &Option<NameKey>) -> Option<u8> {
    let (a, b) = (a.as_ref()?, b.as_ref()?);
    Some(if a.canonical == b.canonical {
        0
    } else if a.skeleton == b.skeleton {
        1
    } else if tokens_similar(&a.canonical, &b.canonical) {
        2
    } else {
        3
    })
}

/// Every token of the shorter name has a close counterpart (Jaro-Winkler
/// at least 0.88) in the other. Comparing whole strings instead would let a
/// shared surname ("khatun salma" and "khatun rumana") pass as similar.
fn tokens_similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short
        .iter()
        .all(|t| long.iter().any(|u| strsim::jaro_winkler(t, u) >= 0.88))
}

fn exact<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<u8> {
    Some(if a.as_ref()? == b.as_ref()? { 0 } else { 1 })
}

fn birth_level(a: &Person, b: &Person) -> Option<u8> {
    match (a.dob, b.dob) {
        (Some(x), Some(y)) if x == y => Some(0),
        _ => match (a.birth_year(), b.birth_year()) {
            (Some(x), Some(y)) => Some(match (x - y).abs() {
                0 | 1 => 1,
                2 | 3 => 2,
                _ => 3,
            }),
            _ => None,
        },
    }
}

fn village_level(a: &Person, b: &Person) -> Option<u8> {
    match (&a.village, &b.village) {
        (Some(x), Some(y)) if x == y => Some(0),
        (Some(x), Some(y)) if strsim::jaro_winkler(x, y) >= 0.9 => Some(1),
        (Some(_), Some(_)) => Some(2),
        _ => None,
    }
}

fn rescue_level(a: &Person, b: &Person) -> Option<u8> {
    match (a.rescue, b.rescue) {
        (Some(x), Some(y)) => Some(match (x - y).num_days().abs() {
            0 => 0,
            1..=31 => 1,
            _ => 2,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_blocking_field_fixes_the_comparison_it_names() {
        let rule = |fs: &[&str]| fs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(fixed_by(&rule(&["name", "dob"])), vec![0, 3]);
        assert_eq!(fixed_by(&rule(&["birth_year", "dob", "rescue_date"])), vec![3, 7]);
        assert_eq!(
            fixed_by(&rule(&["guardian", "village", "block", "district", "phone"])),
            vec![1, 2, 4, 5, 6]
        );
        for f in &BLOCK_FIELDS {
            assert!(
                COMPARISONS.iter().any(|c| c.blocked_by.contains(&f.name)),
                "{} fixes no comparison",
                f.name
            );
        }
        let names: Vec<&str> = BLOCK_FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(names, crate::config::linkage::BLOCK_FIELDS, "the settings' vocabulary");
        assert_eq!(COMPARISONS[NAME].name, "name");
        assert_eq!(COMPARISONS[PHONE].name, "phone");
        assert_eq!(COMPARISONS[BIRTH].name, "birth");
        assert_eq!(COMPARISONS[IDENTIFIER].name, "identifier");
    }
}
