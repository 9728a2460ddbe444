//! A partner's records: the rows of each of its sources (one per person,
//! case or claim), every field written in the partner's style, with the
//! truth of what the pipeline should make of each.

use super::*;

pub(super) struct Writer<'a> {
    pub(super) style: &'static Style,
    pub(super) model: &'a Model,
    pub(super) places: &'a PlacesFile,
    pub(super) india: &'a RegionsFile,
    /// The known blocks, police stations and schemes, and their spellings.
    pub(super) known: &'a KnownFile,
    pub(super) world: &'a World,
    pub(super) rng: ChaCha8Rng,
    /// Draws for how a block, police station or scheme is written, apart
    /// from `rng`, so the rest of the demo is drawn as it was before these
    /// columns were lists.
    pub(super) notation_rng: ChaCha8Rng,
    /// The rows written so far of sources that feed survivors, by person:
    /// a repeat group's rows read their parent's cells from here. Kept only
    /// for a partner with a repeat group (`keep_parents`).
    pub(super) parents: HashMap<usize, ParentRow>,
    pub(super) keep_parents: bool,
    /// A date column's declared format (`formats.<column>`), while it is written.
    pub(super) date_format: Option<String>,
}

/// A written survivor row, as its repeat group's rows see it.
#[derive(Clone)]
pub(super) struct ParentRow {
    pub(super) cells: HashMap<String, String>,
    pub(super) index: usize,
    pub(super) rejected: bool,
}

/// The columns KoboToolbox adds to a repeat group's sheet.
const REPEAT_EXTRAS: &[&str] = &[
    "_index",
    "_parent_table_name",
    "_parent_index",
    "_submission__id",
    "_submission__uuid",
    "_submission__validation_status",
];

impl Writer<'_> {
    /// The rows of one source: one per person (wide sheets), per case or per claim.
    /// Returns headers, rows and each row's registration date (for cumulative exports).
    pub(super) fn source_rows(
        &mut self,
        source: &Source,
        held: &Held,
        truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
    ) -> (Vec<String>, Vec<Vec<Cell>>, Vec<NaiveDate>) {
        // The patterns that fill each canonical column, in order (their
        // regexes compiled once, not per row).
        let mut patterns_of: HashMap<(&str, String), Vec<usize>> = HashMap::new();
        for (t, f) in &source.tables {
            for (i, p) in f.patterns.iter().enumerate() {
                for c in p.targets() {
                    patterns_of.entry((t.as_str(), c)).or_default().push(i);
                }
            }
        }
        let mut headers: Vec<String> = Vec::new();
        let mut push = |h: String| {
            if !h.starts_with(PARENT_PREFIX) && !headers.contains(&h) {
                headers.push(h);
            }
        };
        for (table, feed) in &source.tables {
            let schema = self.model.schema(table);
            for c in &schema.columns {
                if let Some(h) = feed.columns.get(&c.name) {
                    push(h.clone());
                }
                for h in feed
                    .joined
                    .get(&c.name)
                    .map(|j| j.columns.as_slice())
                    .unwrap_or_default()
                {
                    push(h.clone());
                }
                for &i in patterns_of.get(&(table.as_str(), c.name.clone())).into_iter().flatten() {
                    push(feed.patterns[i].column.clone());
                }
                for r in feed.routes.iter().filter(|r| r.to == c.name) {
                    push(r.column.clone());
                }
                if let Some(ch) = feed.choices.get(&c.name) {
                    let labels: Vec<String> = feed
                        .values
                        .get(&c.name)
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for h in choice_headers(ch, &labels) {
                        push(h);
                    }
                }
            }
        }
        let child = source.parent.as_ref();
        let extras: &[&str] = if child.is_some() {
            REPEAT_EXTRAS
        } else {
            self.style.extras
        };
        headers.extend(extras.iter().map(|s| s.to_string()));
        let feeds_survivors = source.tables.contains_key("survivors");
        let feeds_cases = source.tables.contains_key("cases");
        let w = self.world;
        let held_cases: std::collections::HashSet<usize> = held.cases.iter().copied().collect();
        // A header that carries any fed table's own id: blank only rarely, and then the row is unusable.
        let key_headers: std::collections::HashSet<&String> = source
            .tables
            .iter()
            .filter_map(|(t, f)| f.columns.get(&self.model.schema(t).key[1]))
            .collect();
        // Rows as (person, case, claim).
        let units: Vec<(Option<&Person>, Option<&Case>, Option<&Claim>)> = if feeds_survivors {
            held.people
                .iter()
                .map(|&p| {
                    let person = &w.people[p];
                    let case = person
                        .cases
                        .first()
                        .map(|&c| &w.cases[c])
                        .filter(|c| held_cases.contains(&c.id));
                    let claim = case.and_then(|c| c.claim).map(|cl| &w.claims[cl]);
                    (Some(person), case, claim)
                })
                .collect()
        } else if feeds_cases {
            held.cases
                .iter()
                .map(|&c| (Some(&w.people[w.cases[c].person]), Some(&w.cases[c]), None))
                .collect()
        } else {
            held.claims
                .iter()
                .map(|&cl| {
                    let case = &w.cases[w.claims[cl].case];
                    (Some(&w.people[case.person]), Some(case), Some(&w.claims[cl]))
                })
                .collect()
        };
        let mut rows = Vec::new();
        let mut dates = Vec::new();
        for (i, (person, case, claim)) in units.into_iter().enumerate() {
            let person = person.expect("every unit has a person");
            let parent_row = child.map(|_| {
                self.parents
                    .get(&person.id)
                    .cloned()
                    .expect("the parent sheet is written first")
            });
            let parent = parent_row.as_ref();
            let rejected = match parent {
                Some(p) => p.rejected,
                None => self.style.reject > 0.0 && self.rng.random_bool(self.style.reject),
            };
            let parent_cell = |h: &str| -> String {
                parent
                    .and_then(|p| p.cells.get(h.strip_prefix(PARENT_PREFIX).unwrap_or(h)))
                    .cloned()
                    .unwrap_or_default()
            };
            let mut true_ref_override: Option<String> = None;
            // The canonical column this row's routed cell goes to.
            let mut route_target: Option<&'static str> = None;
            let refs = Refs {
                survivor: format!("{}{:05}", self.style.prefix, person.id + 1),
                case: case.map(|c| format!("{}C{:05}", self.style.prefix, c.id + 1)),
                claim: claim.map(|c| format!("{}V{:05}", self.style.prefix, c.id + 1)),
            };
            let mut by_header: HashMap<String, Written> = HashMap::new();
            for (table, feed) in &source.tables {
                let schema = self.model.schema(table);
                let unit_present = match table.as_str() {
                    "survivors" => true,
                    "cases" => {
                        case.is_some()
                            && feed
                                .constants
                                .get("state")
                                .is_none_or(|s| s == case.map(|c| c.state).unwrap_or(""))
                    }
                    _ => claim.is_some(),
                };
                if !unit_present {
                    continue;
                }
                let mut t = TruthRow::default();
                let key = &schema.key[1];
                let mut corrupt = Vec::new();
                for c in &schema.columns {
                    if c.derived_from.is_some() || c.name == "partner_id" {
                        continue;
                    }
                    let truth_value = true_value(table, &c.name, person, case, claim, &refs);
                    let truth_value = self.as_recorded(table, &c.name, person, truth_value);
                    let joined = feed.joined.get(&c.name);
                    let written = if let Some(h) = feed.columns.get(&c.name).filter(|h| h.starts_with(PARENT_PREFIX)) {
                        // A repeat group's row reads its parent's cell.
                        let v = parent_cell(h);
                        Written {
                            expected: (!v.is_empty()).then(|| v.clone()),
                            cell: Cell::S(v),
                            corrupt: false,
                        }
                    } else if let Some(j) = joined.filter(|_| c.ty != ColumnType::Name) {
                        // Parts of the row (and its parent) joined: the
                        // case's id from the survivor's and the row's.
                        let parts: Vec<String> = j
                            .columns
                            .iter()
                            .map(|h| match h.as_str() {
                                "_index" => (i + 1).to_string(),
                                h => parent_cell(h),
                            })
                            .filter(|v| !v.is_empty())
                            .collect();
                        let v = parts.join(&j.separator);
                        if c.name == *key {
                            true_ref_override = Some(v.clone());
                        }
                        Written {
                            expected: (!v.is_empty()).then(|| v.clone()),
                            cell: Cell::S(v),
                            corrupt: false,
                        }
                    } else if let Some(j) = joined {
                        // A name in two columns: given name(s), then the last word.
                        let wr = self.write(schema, &c.name, truth_value.clone(), None, false, &j.columns[0]);
                        let full = cell_text(&wr.cell);
                        let (first, last) = full.rsplit_once(' ').unwrap_or((full.as_str(), ""));
                        by_header.insert(
                            j.columns[0].clone(),
                            Written {
                                cell: Cell::S(first.into()),
                                ..wr.clone()
                            },
                        );
                        by_header.insert(
                            j.columns[1].clone(),
                            Written {
                                cell: Cell::S(last.into()),
                                ..wr.clone()
                            },
                        );
                        wr
                    } else if let Some(p) = patterns_of
                        .get(&(table.as_str(), c.name.clone()))
                        .map(|is| &feed.patterns[is[0]])
                    {
                        // One column holding several facts ("Barasat AHTU"),
                        // written once per row from the case.
                        if !by_header.contains_key(&p.column) {
                            let text = if self.rng.random_bool(self.style.blank) {
                                String::new()
                            } else {
                                self.agency_text(case)
                            };
                            by_header.insert(
                                p.column.clone(),
                                Written {
                                    cell: Cell::S(text),
                                    expected: None,
                                    corrupt: false,
                                },
                            );
                        }
                        let blank = cell_text(&by_header[&p.column].cell).is_empty();
                        Written {
                            cell: Cell::S(String::new()),
                            expected: match (&truth_value, blank) {
                                (Some(V::S(v)), false) => Some(v.clone()),
                                _ => None,
                            },
                            corrupt: false,
                        }
                    } else if let Some(r) = feed.routes.iter().find(|r| r.to == c.name) {
                        // One date column belonging to whichever agency the row names.
                        if !by_header.contains_key(&r.column) {
                            let (target, date) = match case.map(|c| (c.agency, c.ahtu_date, c.cid_date)) {
                                Some(("ahtu", d, _)) => (Some("ahtu_transfer_date"), d),
                                Some(("cid", _, d)) => (Some("cid_transfer_date"), d),
                                _ => (None, None),
                            };
                            let wr = match target {
                                Some(t) => self.write(schema, t, date.map(V::D), None, false, &r.column),
                                None => Written {
                                    cell: Cell::S(String::new()),
                                    expected: None,
                                    corrupt: false,
                                },
                            };
                            route_target = target;
                            by_header.insert(r.column.clone(), wr);
                        }
                        let agency_written = feed
                            .patterns
                            .iter()
                            .filter_map(|p| by_header.get(&p.column))
                            .any(|w| !cell_text(&w.cell).is_empty());
                        let wr = &by_header[&r.column];
                        if route_target == Some(c.name.as_str()) && agency_written {
                            Written {
                                cell: Cell::S(String::new()),
                                ..wr.clone()
                            }
                        } else {
                            Written {
                                cell: Cell::S(String::new()),
                                expected: None,
                                corrupt: false,
                            }
                        }
                    } else if let Some(ch) = feed.choices.get(&c.name) {
                        let map = feed.values.get(&c.name);
                        let h = ch.column.clone().unwrap_or_default();
                        let mut wr = self.write(schema, &c.name, truth_value.clone(), map, false, &h);
                        let labels: Vec<String> = map.map(|m| m.keys().cloned().collect()).unwrap_or_default();
                        let mut chosen: Vec<String> = match &wr.cell {
                            Cell::S(v) if !v.is_empty() => vec![v.clone()],
                            _ => vec![],
                        };
                        // Sometimes a second, less preferred option is ticked too.
                        if let (Some(first), Some(want)) = (chosen.first().cloned(), wr.expected.clone())
                            && !wr.corrupt
                            && self.rng.random_bool(0.3)
                        {
                            let rank = |v: &str| ch.prefer.iter().position(|p| p == v).unwrap_or(ch.prefer.len());
                            let others: Vec<&String> = labels
                                .iter()
                                .filter(|l| **l != first)
                                .filter(|l| {
                                    let v = &map.expect("labels come from the map")[*l];
                                    rank(v) > rank(&want)
                                        || (rank(v) == ch.prefer.len() && rank(&want) < ch.prefer.len())
                                })
                                .collect();
                            if let Some(o) = others.choose(&mut self.rng) {
                                chosen.push((*o).clone());
                            }
                        }
                        if let Some(col) = &ch.column {
                            by_header.insert(
                                col.clone(),
                                Written {
                                    cell: Cell::S(chosen.join(&ch.separator)),
                                    ..wr.clone()
                                },
                            );
                        }
                        for (l, hd) in labels.iter().zip(
                            choice_headers(ch, &labels)
                                .into_iter()
                                .skip(ch.column.is_some() as usize),
                        ) {
                            let on = chosen.contains(l) as i32 as f64;
                            by_header.insert(
                                hd,
                                Written {
                                    cell: Cell::N(on),
                                    ..wr.clone()
                                },
                            );
                        }
                        wr.cell = Cell::S(chosen.join(&ch.separator));
                        wr
                    } else if let Some(h) = feed.columns.get(&c.name) {
                        if let Some(prev) = by_header.get(h) {
                            prev.clone()
                        } else {
                            let required_key = key_headers.contains(h);
                            self.date_format = feed.formats.get(&c.name).cloned();
                            let wr = self.write(
                                schema,
                                &c.name,
                                truth_value.clone(),
                                feed.values.get(&c.name),
                                required_key,
                                h,
                            );
                            self.date_format = None;
                            let wr = match feed.defaults.get(&c.name) {
                                Some(d) => self.blank_default(d, feed.values.get(&c.name), wr, &by_header),
                                None => wr,
                            };
                            by_header.insert(h.clone(), wr.clone());
                            wr
                        }
                    } else if let Some(k) = feed.constants.get(&c.name) {
                        Written {
                            cell: Cell::S(k.clone()),
                            expected: Some(k.clone()),
                            corrupt: false,
                        }
                    } else {
                        Written {
                            cell: Cell::S(String::new()),
                            expected: None,
                            corrupt: false,
                        }
                    };
                    if written.corrupt {
                        corrupt.push(c.name.clone());
                    }
                    if let (Some(V::Name { .. }), Cell::S(s)) = (&truth_value, &written.cell) {
                        t.values.insert(format!("written_{}", c.name), s.clone());
                    }
                    if c.ty == ColumnType::Phone
                        && let Cell::S(s) = &written.cell
                    {
                        t.values.insert("written_phone".into(), s.clone());
                    }
                    if c.ty == ColumnType::Address
                        && let Cell::S(s) = &written.cell
                    {
                        t.values.insert("written_village".into(), s.clone());
                    }
                    if c.ty == ColumnType::Sections {
                        let traffic = written.expected.as_ref().map(|_| match &truth_value {
                            Some(V::Sections(items)) => is_trafficking(items).to_string(),
                            _ => String::new(),
                        });
                        t.values
                            .insert("is_trafficking_case".into(), traffic.unwrap_or_default());
                    }
                    if matches!(c.ty, ColumnType::Name | ColumnType::Phone | ColumnType::Address) {
                        continue;
                    }
                    t.values
                        .insert(c.name.clone(), written.expected.clone().unwrap_or_default());
                }
                let key_blank = t.values.get(key.as_str()).is_none_or(|v| v.is_empty());
                t.values.insert("partner_id".into(), self.style.partner.into());
                t.values.insert(
                    "expected_status".into(),
                    if key_blank || rejected {
                        "quarantined".into()
                    } else {
                        "kept".into()
                    },
                );
                t.values.insert("corrupt_fields".into(), corrupt.join(";"));
                t.values.insert("person_id".into(), person.id.to_string());
                t.values
                    .insert("case_id".into(), case.map(|c| c.id.to_string()).unwrap_or_default());
                t.values
                    .insert("claim_id".into(), claim.map(|c| c.id.to_string()).unwrap_or_default());
                t.values.insert(
                    "true_ref".into(),
                    true_ref_override.take().unwrap_or_else(|| match table.as_str() {
                        "survivors" => refs.survivor.clone(),
                        "cases" => refs.case.clone().unwrap_or_default(),
                        _ => refs.claim.clone().unwrap_or_default(),
                    }),
                );
                let table_static: &'static str = match table.as_str() {
                    "survivors" => "survivors",
                    "cases" => "cases",
                    _ => "compensation_claims",
                };
                truth.entry(table_static).or_default().push(t);
            }
            let row: Vec<Cell> = headers
                .iter()
                .map(|h| {
                    by_header.get(h).map(|w| w.cell.clone()).unwrap_or_else(|| {
                        Cell::S(match h.as_str() {
                            "_validation_status" | "_submission__validation_status" if rejected => {
                                "Not Approved".into()
                            }
                            "_validation_status" | "_submission__validation_status" => {
                                ["Approved", "Approved", "", "On Hold"]
                                    .choose(&mut self.rng)
                                    .expect("non-empty")
                                    .to_string()
                            }
                            "_parent_index" => parent.map(|p| p.index.to_string()).unwrap_or_default(),
                            "_parent_table_name" => child.and_then(|p| p.sheet.clone()).unwrap_or_default(),
                            "_submission__id" => parent_cell("_id"),
                            "_submission__uuid" => parent_cell("_uuid"),
                            _ => self.extra(h, i),
                        })
                    })
                })
                .collect();
            if self.keep_parents && feeds_survivors && child.is_none() {
                let cells = headers.iter().cloned().zip(row.iter().map(cell_text)).collect();
                self.parents.insert(
                    person.id,
                    ParentRow {
                        cells,
                        index: i + 1,
                        rejected,
                    },
                );
            }
            rows.push(row);
            dates.push(person.registered);
        }
        // Re-exported rows: some rows appear twice.
        let n = rows.len();
        for i in 0..n {
            if self.rng.random_bool(self.style.dup) {
                let pos = self.rng.random_range(i..=rows.len());
                let (r, d) = (rows[i].clone(), dates[i]);
                rows.insert(pos, r);
                dates.insert(pos, d);
            }
        }
        (headers, rows, dates)
    }

    /// How a docket names the agency investigating a case, in one column.
    fn agency_text(&mut self, case: Option<&Case>) -> String {
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
    fn blank_default(
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
        let blank = Written {
            cell: Cell::S(String::new()),
            expected: None,
            corrupt: false,
        };
        let Some(value) = value else { return blank };
        let s = self.style;
        // The partner's own id: rarely left blank, which makes the row unusable.
        if is_key {
            if self.rng.random_bool(0.004) {
                return blank;
            }
        } else if spec.ty != ColumnType::Id && self.rng.random_bool(s.blank) {
            return blank;
        }
        if self.rng.random_bool(s.corrupt)
            && let Some(junk) = junk_for(spec.ty, &mut self.rng)
        {
            return Written {
                cell: Cell::S(junk.to_string()),
                expected: None,
                corrupt: true,
            };
        }
        let text = |s: String| Cell::S(s);
        match (spec.ty, value) {
            (ColumnType::Date, V::D(d)) => {
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
                Written {
                    cell,
                    expected: Some(d.format("%Y-%m-%d").to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::AmountInr, V::I(a)) => Written {
                cell: self.amount(a),
                expected: Some(a.to_string()),
                corrupt: false,
            },
            (ColumnType::Integer, V::I(n)) => {
                let w = match self.rng.random_range(0..10) {
                    0 if column == "age_years" => format!("approx {n}"),
                    1 if column == "age_years" => format!("{n} yrs"),
                    _ => n.to_string(),
                };
                Written {
                    cell: text(self.digits(w)),
                    expected: Some(n.to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::Boolean, V::B(b)) => {
                let code = partner_map
                    .and_then(|m| {
                        m.iter()
                            .find(|(_, v)| v.as_str() == if b { "true" } else { "false" })
                            .map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| if b { s.yes_no.0 } else { s.yes_no.1 }.to_string());
                Written {
                    cell: text(code),
                    expected: Some(b.to_string()),
                    corrupt: false,
                }
            }
            (ColumnType::Enum, V::S(v)) => {
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
                Written {
                    cell: text(code),
                    expected: Some(v),
                    corrupt: false,
                }
            }
            (
                ColumnType::District | ColumnType::State | ColumnType::PoliceDistrict | ColumnType::AhtuUnit,
                V::S(name),
            ) => {
                let list = match spec.ty {
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
                if variants.is_empty() && spec.ty == ColumnType::District {
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
                Written {
                    cell: text(written),
                    expected: Some(name),
                    corrupt: false,
                }
            }
            (ColumnType::Block | ColumnType::PoliceStation | ColumnType::Scheme, V::S(v)) => {
                let (written, expected) = self.known_value(spec.ty, &v);
                Written {
                    cell: text(written),
                    expected,
                    corrupt: false,
                }
            }
            (ColumnType::Sections, V::Sections(items)) => {
                let written = self.sections(&items);
                let mut sorted: Vec<String> = items.iter().map(|(a, s)| format!("{a} {s}")).collect();
                sorted.sort_by(|x, y| {
                    let (ax, sx) = x.split_once(' ').expect("act and section");
                    let (ay, sy) = y.split_once(' ').expect("act and section");
                    (ax, sx).cmp(&(ay, sy))
                });
                Written {
                    cell: text(written),
                    expected: Some(sorted.join("; ")),
                    corrupt: false,
                }
            }
            (
                ColumnType::Name,
                V::Name {
                    given,
                    surname,
                    guardian,
                    female,
                },
            ) => Written {
                cell: text(self.name(given, surname, guardian, female)),
                expected: None,
                corrupt: false,
            },
            (ColumnType::Phone, V::S(p)) => {
                let w = match s.phones.choose(&mut self.rng).expect("non-empty") {
                    PhoneFmt::Plain => p.clone(),
                    PhoneFmt::Spaced => format!("+91 {} {}", &p[..5], &p[5..]),
                    PhoneFmt::Zero => format!("0{p}"),
                    PhoneFmt::Dash => format!("91-{p}"),
                };
                Written {
                    cell: text(self.digits(w)),
                    expected: Some(format!("+91{p}")),
                    corrupt: false,
                }
            }
            (_, V::S(v)) => {
                let w = if s.upper { v.to_uppercase() } else { v.clone() };
                let expected = if s.upper { v.to_uppercase() } else { v };
                Written {
                    cell: text(w),
                    expected: Some(expected),
                    corrupt: false,
                }
            }
            (ty, v) => unreachable!("no writer for {ty:?} {v:?}"),
        }
    }
}

/// The entry of `list` a true value is (its name or one of its listed
/// spellings, exactly).
fn known_entry<'l>(list: &'l [KnownEntry], v: &str) -> Option<&'l KnownEntry> {
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
    fn as_recorded(&mut self, table: &str, col: &str, p: &Person, v: Option<V>) -> Option<V> {
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

/// The headers a `select_multiple` question is exported under: its summary
/// column, then one column per option.
fn choice_headers(ch: &crate::config::pipeline::Choices, labels: &[String]) -> Vec<String> {
    let (summary, prefix) = match (&ch.column, &ch.options) {
        (Some(c), _) => (Some(c.clone()), format!("{c}/")),
        (None, Some(p)) => (None, p.clone()),
        (None, None) => return vec![],
    };
    summary
        .into_iter()
        .chain(labels.iter().map(|l| format!("{prefix}{l}")))
        .collect()
}
