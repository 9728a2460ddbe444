//! The engine alone, timed: `cargo bench -p tafteesh-linkage` (or
//! `cargo bench -p tafteesh-linkage -- 50000` for another size) links a
//! synthetic population with the shipped survivor settings, and prints the
//! records, pairs compared, wall time of a full linkage (training
//! included) and of a relinkage with the same model and every weight
//! recomputed, and the pairwise and B-cubed F1 against the population's
//! truth.
//!
//! The population is made here, apart from the pipeline's demo generator:
//! people each recorded by one to three partners, with the spelling
//! variants, missing dates and ages in place of dates that registers show.
//! It is for timing the engine in seconds while working on it; the
//! figures the programme is judged on come from `tafteesh bench` and the
//! linkage tests (FEBRL, the demo's truth).

use std::time::Instant;

use chrono::NaiveDate;
use tafteesh_linkage::names::NameKey;
use tafteesh_linkage::{Person, Trained, eval, link, relink, shipped};

/// A small generator (a linear congruential one: the same population every time).
struct Draw(u64);

impl Draw {
    fn next(&mut self, m: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % m
    }
}

/// `n` people, each recorded one to three times; returns the records and
/// each record's true person.
fn population(n: usize) -> (Vec<Person>, Vec<usize>) {
    const GIVEN: [&str; 24] = [
        "Rahima", "Salma", "Fatema", "Ayesha", "Rupa", "Mita", "Puja", "Rina", "Sabina", "Nasima", "Mousumi", "Sonali",
        "Tumpa", "Laxmi", "Parvin", "Shapla", "Rekha", "Anjali", "Champa", "Rumana", "Moumita", "Jharna", "Asma",
        "Bithika",
    ];
    const SURNAME: [&str; 16] = [
        "Khatun", "Bibi", "Mondal", "Das", "Roy", "Naskar", "Halder", "Biswas", "Molla", "Gazi", "Sardar", "Ghosh",
        "Paik", "Mistri", "Sheikh", "Purkait",
    ];
    const FATHER: [&str; 12] = [
        "Abdul", "Rahim", "Karim", "Jalal", "Gopal", "Haru", "Tapan", "Samir", "Nikhil", "Dilip", "Kalam", "Bapi",
    ];
    const DISTRICT: [&str; 5] = [
        "North 24 Parganas",
        "South 24 Parganas",
        "Nadia",
        "Murshidabad",
        "Malda",
    ];
    let variant = |s: &str, k: usize| match (s, k % 3) {
        ("Khatun", 1) => "Khatoon".to_string(),
        ("Mondal", 1) => "Mandal".to_string(),
        ("Das", 2) => "Dass".to_string(),
        ("Sheikh", 1) => "Sk".to_string(),
        (s, 2) => s.to_uppercase(),
        (s, _) => s.to_string(),
    };
    let mut r = Draw(0x7af7);
    let (mut people, mut truth) = (Vec::new(), Vec::new());
    for who in 0..n {
        let (g, s, f) = (GIVEN[r.next(24)], SURNAME[r.next(16)], FATHER[r.next(12)]);
        let village = format!("village {}", r.next(n / 20 + 1));
        let district = DISTRICT[r.next(5)];
        let dob = NaiveDate::from_ymd_opt(1980 + r.next(25) as i32, 1 + r.next(12) as u32, 1 + r.next(28) as u32);
        let rescue = NaiveDate::from_ymd_opt(2015 + r.next(10) as i32, 1 + r.next(12) as u32, 1 + r.next(28) as u32);
        let phone = format!("9{:09}", r.next(1_000_000_000));
        for k in 0..1 + r.next(3) {
            let mut p = Person {
                source: k as u32,
                guardian: NameKey::new(&format!("{} {}", variant(f, k), variant(s, k + 1))),
                village: (k != 1).then(|| village.clone()),
                district: Some(district.to_string()),
                // The second partner records no date of birth; the third an age.
                dob: if k == 0 { dob } else { None },
                rescue,
                phone: (k == 0 || r.next(2) == 0).then(|| phone.clone()),
                ..Person::default()
            }
            .with_name(Some(&format!("{} {}", variant(g, k), variant(s, k))));
            if k == 2 {
                p.age = rescue.zip(dob).and_then(|(r, d)| r.years_since(d)).map(|y| y as i32);
            }
            people.push(p);
            truth.push(who);
        }
    }
    (people, truth)
}

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments is the size.
    let n = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let settings = shipped("survivors").expect("the shipped settings read");
    let (people, truth) = population(n);

    let started = Instant::now();
    let linked = link(&people, &settings);
    let full = started.elapsed().as_secs_f64();
    let labels: Vec<(u32, usize)> = linked.cluster.iter().copied().zip(truth.iter().copied()).collect();
    let scores = eval::score(&labels);

    let trained = Trained {
        model: linked.model.clone(),
        words: linked.comparisons.word_counts(),
        tf: linked.tf.clone(),
    };
    let started = Instant::now();
    let again = relink(&people, &settings, trained, |_| None);
    let re = started.elapsed().as_secs_f64();
    assert_eq!(
        again.cluster, linked.cluster,
        "a relinkage with the same model links the same"
    );

    println!(
        "people {n}, records {}, pairs compared {}: link {full:.2} s, relink {re:.2} s; \
         pairwise F1 {:.4} (precision {:.4}, recall {:.4}), B-cubed F1 {:.4}",
        people.len(),
        linked.pairs.len(),
        scores.pairwise_f1,
        scores.pairwise_precision,
        scores.pairwise_recall,
        scores.bcubed_f1,
    );
}
