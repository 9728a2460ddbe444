//! One value as a partner writes it: its notation, blanks and mistakes,
//! and what the pipeline should make of it. [`super::records`] decides
//! which value goes in which column; this file decides how it looks.

use super::*;

impl Writer<'_> {
    /// How a docket names the agency investigating a case, in one column.
    pub(super) fn agency_text(&mut self, case: Option<&Case>) -> String {
        let Some(case) = case else { return String::new() };
        let pick = |rng: &mut ChaCha8Rng, xs: &[&str]| xs.choose(rng).expect("non-empty").to_string();
        match (case.agency, case.ahtu_unit) {
            ("ahtu", Some(unit)) if self.rng.random_bool(0.3) => {
                format!("AHTU {}", unit.trim_end_matches(" AHTU"))
            }
            ("ahtu", Some(unit)) => unit.to_string(),
            ("ahtu", None) => "AHTU".into(),
            ("cid", _) => pick(&mut self.rng, &["CID West Bengal", "CID, WB", "CID"]),
            _ => pick(&mut self.rng, &["Local PS", "Local Police", "PS", "Thana"]),
        }
    }

    /// A column whose blank cell the config reads as a default (a blank
    /// Result on a charge-sheeted case is pending): the partner leaves the
    /// default blank most of the time, and a cell left blank for any reason
    /// is read as the default where the condition holds.
    pub(super) fn blank_default(
        &mut self,
        d: &crate::config::pipeline::BlankDefault,
        map: Option<&BTreeMap<String, String>>,
        mut wr: Written,
        by_header: &HashMap<String, Written>,
    ) -> Written {
        let holds = d.when.as_ref().is_none_or(|w| {
            w.any_filled
                .iter()
                .any(|h| by_header.get(h).is_some_and(|x| !cell_text(&x.cell).is_empty()))
        });
        if !holds {
            return wr;
        }
        let meant = map
            .and_then(|m| m.get(&d.value))
            .cloned()
            .unwrap_or_else(|| d.value.clone());
        if wr.expected.as_deref() == Some(meant.as_str()) && self.rng.random_bool(0.8) {
            wr.cell = Cell::S(String::new());
        } else if !wr.corrupt && cell_text(&wr.cell).is_empty() {
            wr.expected = Some(meant);
        }
        wr
    }

    pub(super) fn extra(&mut self, header: &str, i: usize) -> String {
        if header == "_id" {
            return (310_000 + i).to_string();
        }
        match header {
            "_id" => (100_000 + i).to_string(),
            "_uuid" | "meta-instanceID" | "KEY" => format!(
                "uuid:{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                self.rng.random::<u32>(),
                self.rng.random::<u16>(),
                self.rng.random_range(0..4096),
                self.rng.random_range(0..4096),
                self.rng.random::<u64>() & 0xffff_ffff_ffff
            ),
            "_validation_status" => "validation_status_approved".into(),
            "_index" => (i + 1).to_string(),
            "ReviewState" => ["approved", "hasIssues", ""]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            "REMARKS" | "Remarks" => [
                "follow-up due – café meeting",
                "home visit done",
                "",
                "counselling ongoing",
            ]
            .choose(&mut self.rng)
            .expect("non-empty")
            .to_string(),
            "Shelter Home" => ["Navjeevan Home", "Asha Sadan", ""]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            "Advocate" => ["Adv. A. Roy", "Adv. S. Khatun", "Adv. P. Das"]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            _ => String::new(),
        }
    }

    /// Write one value the way this partner does, deciding blanks and mistakes.
    pub(super) fn write(
        &mut self,
        schema: &TableSchema,
        column: &str,
        value: Option<V>,
        partner_map: Option<&BTreeMap<String, String>>,
        is_key: bool,
        header: &str,
    ) -> Written {
        let spec = schema.column(column).expect("column from the schema");
        let Some(value) = value else { return Written::blank() };
        if let Some(lost) = self.lost(spec.ty, is_key) {
            return lost;
        }
        let (cell, expected) = match (spec.ty, value) {
            (ColumnType::Date, V::D(d)) => self.write_date(d, header),
            (ColumnType::AmountInr, V::I(a)) => (self.amount(a), Some(a.to_string())),
            (ColumnType::Integer, V::I(n)) => self.write_integer(column, n),
            (ColumnType::Boolean, V::B(b)) => self.write_boolean(b, partner_map),
            (ColumnType::Enum, V::S(v)) => self.write_enum(spec, v, partner_map),
            (
                ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit,
                V::S(name),
            ) => self.write_place(spec.ty, name),
            (ColumnType::Block | ColumnType::PoliceStation | ColumnType::Scheme, V::S(v)) => {
                let (written, expected) = self.known_value(spec.ty, &v);
                (Cell::S(written), expected)
            }
            (ColumnType::Sections, V::Sections(items)) => self.write_sections(&items),
            (
                ColumnType::Name,
                V::Name {
                    given,
                    surname,
                    guardian,
                    female,
                },
            ) => (Cell::S(self.name(given, surname, guardian, female)), None),
            (ColumnType::Phone, V::S(p)) => self.write_phone(&p),
            (_, V::S(v)) => {
                let upper = self.style.upper;
                let w = if upper { v.to_uppercase() } else { v.clone() };
                let expected = if upper { v.to_uppercase() } else { v };
                (Cell::S(w), Some(expected))
            }
            (ty, v) => unreachable!("no writer for {ty:?} {v:?}"),
        };
        Written {
            cell,
            expected,
            corrupt: false,
        }
    }

    /// A value the partner left blank (its own id only rarely, which makes
    /// the row unusable) or wrote as junk; `None` when it is written.
    fn lost(&mut self, ty: ColumnType, is_key: bool) -> Option<Written> {
        let s = self.style;
        if is_key {
            if self.rng.random_bool(0.004) {
                return Some(Written::blank());
            }
        } else if ty != ColumnType::Id && self.rng.random_bool(s.blank) {
            return Some(Written::blank());
        }
        if self.rng.random_bool(s.corrupt)
            && let Some(junk) = junk_for(ty, &mut self.rng)
        {
            return Some(Written {
                cell: Cell::S(junk.to_string()),
                expected: None,
                corrupt: true,
            });
        }
        None
    }

    /// A date in the partner's notation; a form's submission time as Kobo
    /// and ODK export it.
    fn write_date(&mut self, d: NaiveDate, header: &str) -> (Cell, Option<String>) {
        let cell = if header == "_submission_time" || header == "SubmissionDate" {
            Cell::S(format!(
                "{}T10:{:02}:{:02}.000+05:30",
                d.format("%Y-%m-%d"),
                self.rng.random_range(0..60),
                self.rng.random_range(0..60)
            ))
        } else {
            self.date(d)
        };
        (cell, Some(d.format("%Y-%m-%d").to_string()))
    }

    /// A number, an age sometimes as "approx 17" or "17 yrs".
    fn write_integer(&mut self, column: &str, n: i64) -> (Cell, Option<String>) {
        let w = match self.rng.random_range(0..10) {
            0 if column == "age_years" => format!("approx {n}"),
            1 if column == "age_years" => format!("{n} yrs"),
            _ => n.to_string(),
        };
        (Cell::S(self.digits(w)), Some(n.to_string()))
    }

    /// Yes or no in the partner's codes.
    fn write_boolean(&mut self, b: bool, partner_map: Option<&BTreeMap<String, String>>) -> (Cell, Option<String>) {
        let s = self.style;
        let code = partner_map
            .and_then(|m| {
                m.iter()
                    .find(|(_, v)| v.as_str() == if b { "true" } else { "false" })
                    .map(|(k, _)| k.clone())
            })
            .unwrap_or_else(|| if b { s.yes_no.0 } else { s.yes_no.1 }.to_string());
        (Cell::S(code), Some(b.to_string()))
    }

    /// A coded answer: the partner's code, or a synonym (in Bengali or
    /// title case), or the value itself.
    fn write_enum(
        &mut self,
        spec: &crate::config::schema::ColumnSpec,
        v: String,
        partner_map: Option<&BTreeMap<String, String>>,
    ) -> (Cell, Option<String>) {
        let s = self.style;
        let code = partner_map.and_then(|m| m.iter().find(|(_, c)| **c == v).map(|(k, _)| k.clone()));
        let code = code.unwrap_or_else(|| {
            let words: Vec<&String> = spec.synonyms.get(&v).map(|w| w.iter().collect()).unwrap_or_default();
            let bengali: Vec<&&String> = words
                .iter()
                .filter(|w| w.chars().any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)))
                .collect();
            let latin: Vec<&&String> = words.iter().filter(|w| w.is_ascii() && w.len() > 2).collect();
            if !bengali.is_empty() && self.rng.random_bool(s.bengali) {
                bengali
                    .choose(&mut self.rng)
                    .map(|w| w.to_string())
                    .unwrap_or(v.clone())
            } else if !latin.is_empty() && self.rng.random_bool(0.5) {
                title_case(latin.choose(&mut self.rng).expect("non-empty"))
            } else {
                v.clone()
            }
        });
        (Cell::S(code), Some(v))
    }

    /// A district, state, police district or AHTU: one of its spellings
    /// (Bengali or Latin), sometimes with its state or "Dist." added.
    fn write_place(&mut self, ty: ColumnType, name: String) -> (Cell, Option<String>) {
        let s = self.style;
        let list = match ty {
            ColumnType::District => &self.places.district,
            ColumnType::State => &self.places.state,
            ColumnType::PoliceDistrict => &self.places.police_district,
            _ => &self.places.ahtu_unit,
        };
        let mut variants: Vec<&String> = list
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.variants.iter().collect())
            .unwrap_or_default();
        // Beyond West Bengal: the district's spellings, or a
        // country's, from the national gazetteer.
        let region = super::world::ORIGINS.iter().find(|o| o.0 == name).map(|o| o.1);
        if variants.is_empty() && ty == ColumnType::District {
            for r in &self.india.region {
                if r.name == name {
                    variants.extend(r.variants.iter());
                }
                for d in r.districts.iter().map(|d| d.all()).filter(|d| d[0] == name) {
                    variants.extend(d.iter());
                }
            }
        }
        let wants_bengali = self.rng.random_bool(s.bengali);
        let pool: Vec<&&String> = variants
            .iter()
            .filter(|v| v.is_ascii() != wants_bengali || !variants.iter().any(|x| !x.is_ascii()))
            .collect();
        let written = if self.rng.random_bool(s.place_variant.max(s.bengali)) && !pool.is_empty() {
            pool.choose(&mut self.rng).expect("non-empty").to_string()
        } else {
            name.clone()
        };
        let written = match region {
            Some(r) if r != name && self.rng.random_bool(0.25) => format!("{written}, {r}"),
            Some(r) if r != name && self.rng.random_bool(0.1) => format!("Dist. {written}"),
            _ => written,
        };
        let written = if s.upper && written.is_ascii() {
            written.to_uppercase()
        } else {
            written
        };
        (Cell::S(written), Some(name))
    }

    /// Act-and-section charges in the partner's notation; the truth lists
    /// them sorted.
    fn write_sections(&mut self, items: &[(&'static str, &'static str)]) -> (Cell, Option<String>) {
        let written = self.sections(items);
        let mut sorted: Vec<String> = items.iter().map(|(a, s)| format!("{a} {s}")).collect();
        sorted.sort_by(|x, y| {
            let (ax, sx) = x.split_once(' ').expect("act and section");
            let (ay, sy) = y.split_once(' ').expect("act and section");
            (ax, sx).cmp(&(ay, sy))
        });
        (Cell::S(written), Some(sorted.join("; ")))
    }

    /// A ten-digit mobile number in one of the partner's notations.
    fn write_phone(&mut self, p: &str) -> (Cell, Option<String>) {
        let w = match self.style.phones.choose(&mut self.rng).expect("non-empty") {
            PhoneFmt::Plain => p.to_string(),
            PhoneFmt::Spaced => format!("+91 {} {}", &p[..5], &p[5..]),
            PhoneFmt::Zero => format!("0{p}"),
            PhoneFmt::Dash => format!("91-{p}"),
        };
        (Cell::S(self.digits(w)), Some(format!("+91{p}")))
    }
}

/// The entry of `list` a true value is (its name or one of its listed
/// spellings, exactly).
pub(super) fn known_entry<'l>(list: &'l [KnownEntry], v: &str) -> Option<&'l KnownEntry> {
    list.iter().find(|e| e.name == v || e.variants.iter().any(|x| x == v))
}

impl Writer<'_> {
    /// A block, police station or scheme as this partner writes it, and
    /// what the pipeline should publish: the list's name for a value the
    /// list holds, nothing for one it lacks. Registers write a block's
    /// number as I, 1 or -I and add "Block"; a police station with PS,
    /// P.S., Police Station or Thana before or after it, or in Bengali.
    fn known_value(&mut self, ty: ColumnType, v: &str) -> (String, Option<String>) {
        let list = match ty {
            ColumnType::Block => &self.known.block,
            ColumnType::PoliceStation => &self.known.police_station,
            _ => &self.known.scheme,
        };
        let entry = known_entry(list, v);
        let expected = entry.map(|e| e.name.clone());
        let r = &mut self.notation_rng;
        let bengali: Vec<&String> = entry
            .map(|e| e.variants.iter().filter(|x| !x.is_ascii()).collect())
            .unwrap_or_default();
        let latin: Vec<&String> = entry
            .map(|e| {
                e.variants
                    .iter()
                    .filter(|x| x.is_ascii() && !x.contains(['(', ',']))
                    .collect()
            })
            .unwrap_or_default();
        if !bengali.is_empty() && r.random_bool(self.style.bengali) {
            let b = bengali.choose(r).expect("non-empty");
            let written = if ty == ColumnType::PoliceStation && r.random_bool(0.6) {
                format!("{b} থানা")
            } else {
                b.to_string()
            };
            return (written, expected);
        }
        let mut w = if !latin.is_empty() && r.random_bool(self.style.place_variant.max(0.2)) {
            latin.choose(r).expect("non-empty").to_string()
        } else {
            v.to_string()
        };
        match ty {
            ColumnType::Block => {
                for (roman, digit) in [(" III", "3"), (" II", "2"), (" I", "1")] {
                    if let Some(stem) = w.strip_suffix(roman) {
                        w = match r.random_range(0..4) {
                            0 => format!("{stem}-{}", &roman[1..]),
                            1 => format!("{stem} {digit}"),
                            2 => format!("{stem}-{digit}"),
                            _ => w.clone(),
                        };
                        break;
                    }
                }
                if r.random_bool(0.15) {
                    w = format!("{w} {}", ["Block", "CD Block", "block"].choose(r).expect("non-empty"));
                }
            }
            ColumnType::PoliceStation => {
                let stem = w.strip_suffix(" PS").unwrap_or(&w).to_string();
                let (stem, qualifier) = match stem.split_once(" (") {
                    Some((s, q)) => (s.to_string(), format!(" ({q}")),
                    None => (stem, String::new()),
                };
                w = match r.random_range(0..8) {
                    0 => format!("{stem} P.S.{qualifier}"),
                    1 => format!("{stem} Police Station{qualifier}"),
                    2 => format!("{stem} Thana{qualifier}"),
                    3 => format!("P.S.- {stem}{qualifier}"),
                    4 => format!("{stem}{qualifier}"),
                    _ => w,
                };
            }
            _ => {}
        }
        if self.style.upper {
            w = w.to_uppercase();
        }
        (w, expected)
    }

    /// What this record holds for a survivor's age or phone, where the
    /// partner's record differs from the truth: an age guessed a year or
    /// two off, or rounded to five; another phone number. The pipeline
    /// should keep what was recorded, so the truth is the recorded value.
    pub(super) fn as_recorded(&mut self, table: &str, col: &str, p: &Person, v: Option<V>) -> Option<V> {
        let s = self.style;
        match (table, col, v) {
            ("survivors", "age_years", Some(V::I(age))) if self.rng.random_bool(s.age_off) => {
                let off = if p.dob.is_some() {
                    *[-1, 1].choose(&mut self.rng).expect("non-empty")
                } else if self.rng.random_bool(0.3) {
                    (age + 2) / 5 * 5 - age
                } else {
                    *[-3, -2, -1, 1, 2, 3].choose(&mut self.rng).expect("non-empty")
                };
                let guessed = age + off;
                // A guess on the other side of 18 would contradict the
                // minor flag the partner also ticked: kept out.
                let same_side = (guessed < 18) == (age < 18) && guessed >= 5;
                Some(V::I(if same_side { guessed } else { age }))
            }
            ("survivors", "phone", Some(V::S(_))) if self.rng.random_bool(s.other_phone) => Some(V::S(format!(
                "{}{:09}",
                self.rng.random_range(6..=9),
                self.rng.random_range(0..1_000_000_000u64)
            ))),
            (_, _, v) => v,
        }
    }
}
