//! A partner's records: the rows of each of its sources (one per person,
//! case or claim), every field written in the partner's style, with the
//! truth of what the pipeline should make of each.

use std::collections::HashSet;

use super::*;
use crate::config::pipeline::{Choices, Joined, Pattern, Route, TableFeed};
use crate::config::schema::ColumnSpec;

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
pub(super) const REPEAT_EXTRAS: &[&str] = &[
    "_index",
    "_parent_table_name",
    "_parent_index",
    "_submission__id",
    "_submission__uuid",
    "_submission__validation_status",
];

/// A source's columns: its headers in order, which of its feeds' patterns
/// fill each canonical column, and which headers carry a fed table's own id.
struct Shape<'s> {
    headers: Vec<String>,
    patterns_of: HashMap<(&'s str, String), Vec<usize>>,
    /// Headers of a fed table's own id: blank only rarely, and then the row
    /// is unusable.
    key_headers: HashSet<&'s String>,
}

/// The person, case and claim one row records.
type Unit<'w> = (&'w Person, Option<&'w Case>, Option<&'w Claim>);

/// One row while it is written.
struct Row<'w> {
    /// 0-based position among the source's rows.
    index: usize,
    person: &'w Person,
    case: Option<&'w Case>,
    claim: Option<&'w Claim>,
    /// The row of the parent sheet a repeat group's row belongs to.
    parent: Option<ParentRow>,
    /// Marked "Not Approved" on the server: the pipeline should quarantine it.
    rejected: bool,
    refs: Refs,
    /// The cells written so far, by header.
    by_header: HashMap<String, Written>,
    /// The record's id where the row joins it from parts (a case's id from
    /// the survivor's and the row's), for the next record's truth.
    joined_ref: Option<String>,
    /// The canonical column this row's routed date goes to.
    route_target: Option<&'static str>,
}

impl Row<'_> {
    /// A parent row's cell, by its header (with or without the parent prefix).
    fn parent_cell(&self, h: &str) -> String {
        self.parent
            .as_ref()
            .and_then(|p| p.cells.get(h.strip_prefix(PARENT_PREFIX).unwrap_or(h)))
            .cloned()
            .unwrap_or_default()
    }
}

/// The canonical column being written, and the feed that maps it.
struct Target<'c> {
    table: &'c str,
    feed: &'c TableFeed,
    schema: &'c TableSchema,
    column: &'c ColumnSpec,
}

impl Writer<'_> {
    /// The rows of one source: one per person (wide sheets), per case or per claim.
    /// Returns headers, rows and each row's registration date (for cumulative exports).
    pub(super) fn source_rows(
        &mut self,
        source: &Source,
        held: &Held,
        truth: &mut BTreeMap<&'static str, Vec<TruthRow>>,
    ) -> (Vec<String>, Vec<Vec<Cell>>, Vec<NaiveDate>) {
        let shape = self.shape(source);
        let feeds_survivors = source.tables.contains_key("survivors");
        let mut rows = Vec::new();
        let mut dates = Vec::new();
        for (i, unit) in units(self.world, source, held).into_iter().enumerate() {
            let mut row = self.start_row(source, i, unit);
            for (table, feed) in &source.tables {
                if let Some(t) = self.record(&shape, table, feed, &mut row) {
                    truth.entry(truth_table(table)).or_default().push(t);
                }
            }
            let cells = self.cells(&shape.headers, source, &row);
            if self.keep_parents && feeds_survivors && source.parent.is_none() {
                let text = shape.headers.iter().cloned().zip(cells.iter().map(cell_text)).collect();
                let parent = ParentRow {
                    cells: text,
                    index: i + 1,
                    rejected: row.rejected,
                };
                self.parents.insert(row.person.id, parent);
            }
            rows.push(cells);
            dates.push(row.person.registered);
        }
        self.re_export(&mut rows, &mut dates);
        (shape.headers, rows, dates)
    }

    /// The source's headers, in the order of its tables' canonical columns,
    /// then the columns its form adds.
    fn shape<'s>(&self, source: &'s Source) -> Shape<'s> {
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
        let mut push = |h: &String| {
            if !h.starts_with(PARENT_PREFIX) && !headers.contains(h) {
                headers.push(h.clone());
            }
        };
        for (table, feed) in &source.tables {
            for c in &self.model.schema(table).columns {
                feed.columns.get(&c.name).into_iter().for_each(&mut push);
                feed.joined
                    .get(&c.name)
                    .into_iter()
                    .flat_map(|j| &j.columns)
                    .for_each(&mut push);
                for &i in patterns_of.get(&(table.as_str(), c.name.clone())).into_iter().flatten() {
                    push(&feed.patterns[i].column);
                }
                feed.routes
                    .iter()
                    .filter(|r| r.to == c.name)
                    .for_each(|r| push(&r.column));
                if let Some(ch) = feed.choices.get(&c.name) {
                    let labels: Vec<String> = feed
                        .values
                        .get(&c.name)
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    choice_headers(ch, &labels).iter().for_each(&mut push);
                }
            }
        }
        let extras: &[&str] = if source.parent.is_some() {
            REPEAT_EXTRAS
        } else {
            self.style.extras
        };
        headers.extend(extras.iter().map(|s| s.to_string()));
        let key_headers = source
            .tables
            .iter()
            .filter_map(|(t, f)| f.columns.get(&self.model.schema(t).key[1]))
            .collect();
        Shape {
            headers,
            patterns_of,
            key_headers,
        }
    }

    /// A row about to be written: whether it is rejected (a repeat group's
    /// row as its parent is) and the partner's ids for its records.
    fn start_row<'w>(&mut self, source: &Source, index: usize, (person, case, claim): Unit<'w>) -> Row<'w> {
        let parent = source.parent.as_ref().map(|_| {
            self.parents
                .get(&person.id)
                .cloned()
                .expect("the parent sheet is written first")
        });
        let rejected = match &parent {
            Some(p) => p.rejected,
            None => self.style.reject > 0.0 && self.rng.random_bool(self.style.reject),
        };
        let refs = Refs {
            survivor: format!("{}{:05}", self.style.prefix, person.id + 1),
            case: case.map(|c| format!("{}C{:05}", self.style.prefix, c.id + 1)),
            claim: claim.map(|c| format!("{}V{:05}", self.style.prefix, c.id + 1)),
        };
        Row {
            index,
            person,
            case,
            claim,
            parent,
            rejected,
            refs,
            by_header: HashMap::new(),
            joined_ref: None,
            route_target: None,
        }
    }

    /// The truth of the record the row holds for `table`, writing its cells
    /// into the row; `None` when the row holds no such record (no case, or a
    /// case in another state than the feed's).
    fn record(&mut self, shape: &Shape<'_>, table: &str, feed: &TableFeed, row: &mut Row<'_>) -> Option<TruthRow> {
        let present = match table {
            "survivors" => true,
            "cases" => {
                row.case.is_some()
                    && feed
                        .constants
                        .get("state")
                        .is_none_or(|s| s == row.case.map(|c| c.state).unwrap_or(""))
            }
            _ => row.claim.is_some(),
        };
        if !present {
            return None;
        }
        let schema = self.model.schema(table);
        let mut t = TruthRow::default();
        let mut corrupt = Vec::new();
        for c in &schema.columns {
            if c.derived_from.is_some() || c.name == "partner_id" {
                continue;
            }
            let truth_value = true_value(table, &c.name, row.person, row.case, row.claim, &row.refs);
            let truth_value = self.as_recorded(table, &c.name, row.person, truth_value);
            let at = Target {
                table,
                feed,
                schema,
                column: c,
            };
            let written = self.written(shape, &at, &truth_value, row);
            if written.corrupt {
                corrupt.push(c.name.clone());
            }
            field_truth(&mut t, c, &truth_value, &written);
        }
        let key_blank = t.values.get(schema.key[1].as_str()).is_none_or(|v| v.is_empty());
        let status = if key_blank || row.rejected {
            "quarantined"
        } else {
            "kept"
        };
        let true_ref = row.joined_ref.take().unwrap_or_else(|| match table {
            "survivors" => row.refs.survivor.clone(),
            "cases" => row.refs.case.clone().unwrap_or_default(),
            _ => row.refs.claim.clone().unwrap_or_default(),
        });
        let v = &mut t.values;
        v.insert("partner_id".into(), self.style.partner.into());
        v.insert("expected_status".into(), status.into());
        v.insert("corrupt_fields".into(), corrupt.join(";"));
        v.insert("person_id".into(), row.person.id.to_string());
        v.insert("case_id".into(), row.case.map(|c| c.id.to_string()).unwrap_or_default());
        v.insert(
            "claim_id".into(),
            row.claim.map(|c| c.id.to_string()).unwrap_or_default(),
        );
        v.insert("true_ref".into(), true_ref);
        Some(t)
    }

    /// One canonical column's cell(s) in this row, by how the feed maps it.
    fn written(&mut self, shape: &Shape<'_>, at: &Target<'_>, truth_value: &Option<V>, row: &mut Row<'_>) -> Written {
        let (feed, c) = (at.feed, at.column);
        let joined = feed.joined.get(&c.name);
        if let Some(h) = feed.columns.get(&c.name).filter(|h| h.starts_with(PARENT_PREFIX)) {
            // A repeat group's row reads its parent's cell.
            Written::exact(row.parent_cell(h))
        } else if let Some(j) = joined.filter(|_| c.ty != ColumnType::Name) {
            joined_parts(at, j, row)
        } else if let Some(j) = joined {
            self.split_name(at, j, truth_value, row)
        } else if let Some(p) = shape
            .patterns_of
            .get(&(at.table, c.name.clone()))
            .map(|is| &feed.patterns[is[0]])
        {
            self.pattern_cell(p, truth_value, row)
        } else if let Some(r) = feed.routes.iter().find(|r| r.to == c.name) {
            self.routed_cell(at, r, row)
        } else if let Some(ch) = feed.choices.get(&c.name) {
            self.choice_cells(at, ch, truth_value, row)
        } else if let Some(h) = feed.columns.get(&c.name) {
            self.column_cell(shape, at, h, truth_value, row)
        } else if let Some(k) = feed.constants.get(&c.name) {
            Written {
                cell: Cell::S(k.clone()),
                expected: Some(k.clone()),
                corrupt: false,
            }
        } else {
            Written::blank()
        }
    }

    /// A name in two columns: given name(s), then the last word.
    fn split_name(&mut self, at: &Target<'_>, j: &Joined, truth_value: &Option<V>, row: &mut Row<'_>) -> Written {
        let wr = self.write(
            at.schema,
            &at.column.name,
            truth_value.clone(),
            None,
            false,
            &j.columns[0],
        );
        let full = cell_text(&wr.cell);
        let (first, last) = full.rsplit_once(' ').unwrap_or((full.as_str(), ""));
        for (h, part) in j.columns.iter().zip([first, last]) {
            let cell = Cell::S(part.into());
            row.by_header.insert(h.clone(), Written { cell, ..wr.clone() });
        }
        wr
    }

    /// One column holding several facts ("Barasat AHTU"), written once per
    /// row from the case. The canonical column's own cell stays empty; it
    /// expects the fact when that column was filled in.
    fn pattern_cell(&mut self, p: &Pattern, truth_value: &Option<V>, row: &mut Row<'_>) -> Written {
        if !row.by_header.contains_key(&p.column) {
            let text = if self.rng.random_bool(self.style.blank) {
                String::new()
            } else {
                self.agency_text(row.case)
            };
            let cell = Written {
                cell: Cell::S(text),
                expected: None,
                corrupt: false,
            };
            row.by_header.insert(p.column.clone(), cell);
        }
        let blank = cell_text(&row.by_header[&p.column].cell).is_empty();
        Written::elsewhere(match (truth_value, blank) {
            (Some(V::S(v)), false) => Some(v.clone()),
            _ => None,
        })
    }

    /// One date column belonging to whichever agency the row names, written
    /// once per row. The canonical column of that agency expects the date
    /// when the agency was written too.
    fn routed_cell(&mut self, at: &Target<'_>, r: &Route, row: &mut Row<'_>) -> Written {
        if !row.by_header.contains_key(&r.column) {
            let (target, date) = match row.case.map(|c| (c.agency, c.ahtu_date, c.cid_date)) {
                Some(("ahtu", d, _)) => (Some("ahtu_transfer_date"), d),
                Some(("cid", _, d)) => (Some("cid_transfer_date"), d),
                _ => (None, None),
            };
            let wr = match target {
                Some(t) => self.write(at.schema, t, date.map(V::D), None, false, &r.column),
                None => Written::blank(),
            };
            row.route_target = target;
            row.by_header.insert(r.column.clone(), wr);
        }
        let agency_written = at
            .feed
            .patterns
            .iter()
            .filter_map(|p| row.by_header.get(&p.column))
            .any(|w| !cell_text(&w.cell).is_empty());
        let wr = &row.by_header[&r.column];
        if row.route_target == Some(at.column.name.as_str()) && agency_written {
            Written {
                cell: Cell::S(String::new()),
                ..wr.clone()
            }
        } else {
            Written::blank()
        }
    }

    /// A `select_multiple` question: its summary column and one 0/1 column
    /// per option.
    fn choice_cells(&mut self, at: &Target<'_>, ch: &Choices, truth_value: &Option<V>, row: &mut Row<'_>) -> Written {
        let map = at.feed.values.get(&at.column.name);
        let h = ch.column.clone().unwrap_or_default();
        let mut wr = self.write(at.schema, &at.column.name, truth_value.clone(), map, false, &h);
        let labels: Vec<String> = map.map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let mut chosen: Vec<String> = match &wr.cell {
            Cell::S(v) if !v.is_empty() => vec![v.clone()],
            _ => vec![],
        };
        if let (Some(first), Some(want)) = (chosen.first().cloned(), wr.expected.clone())
            && !wr.corrupt
            && self.rng.random_bool(0.3)
            && let Some(second) = self.second_choice(ch, map, &labels, &first, &want)
        {
            chosen.push(second);
        }
        if let Some(col) = &ch.column {
            let cell = Cell::S(chosen.join(&ch.separator));
            row.by_header.insert(col.clone(), Written { cell, ..wr.clone() });
        }
        let options = choice_headers(ch, &labels)
            .into_iter()
            .skip(ch.column.is_some() as usize);
        for (l, hd) in labels.iter().zip(options) {
            let cell = Cell::N(chosen.contains(l) as i32 as f64);
            row.by_header.insert(hd, Written { cell, ..wr.clone() });
        }
        wr.cell = Cell::S(chosen.join(&ch.separator));
        wr
    }

    /// A second, less preferred option ticked beside the first (`want` is
    /// the value the first stands for), when there is one.
    fn second_choice(
        &mut self,
        ch: &Choices,
        map: Option<&BTreeMap<String, String>>,
        labels: &[String],
        first: &str,
        want: &str,
    ) -> Option<String> {
        let rank = |v: &str| ch.prefer.iter().position(|p| p == v).unwrap_or(ch.prefer.len());
        let others: Vec<&String> = labels
            .iter()
            .filter(|l| **l != first)
            .filter(|l| {
                let v = &map.expect("labels come from the map")[*l];
                rank(v) > rank(want) || (rank(v) == ch.prefer.len() && rank(want) < ch.prefer.len())
            })
            .collect();
        others.choose(&mut self.rng).map(|o| (*o).clone())
    }

    /// A column the feed maps by header: written once per row (two canonical
    /// columns may share a header), in the column's declared date format,
    /// a blank read as the feed's default where one is declared.
    fn column_cell(
        &mut self,
        shape: &Shape<'_>,
        at: &Target<'_>,
        h: &String,
        truth_value: &Option<V>,
        row: &mut Row<'_>,
    ) -> Written {
        if let Some(prev) = row.by_header.get(h) {
            return prev.clone();
        }
        let (feed, c) = (at.feed, at.column);
        let required_key = shape.key_headers.contains(h);
        self.date_format = feed.formats.get(&c.name).cloned();
        let values = feed.values.get(&c.name);
        let wr = self.write(at.schema, &c.name, truth_value.clone(), values, required_key, h);
        self.date_format = None;
        let wr = match feed.defaults.get(&c.name) {
            Some(d) => self.blank_default(d, values, wr, &row.by_header),
            None => wr,
        };
        row.by_header.insert(h.clone(), wr.clone());
        wr
    }

    /// The row's cells in header order: what was written, else the form's
    /// own columns (validation status, parent index, submission ids, remarks).
    fn cells(&mut self, headers: &[String], source: &Source, row: &Row<'_>) -> Vec<Cell> {
        let child = source.parent.as_ref();
        let mut own = |h: &str| match h {
            "_validation_status" | "_submission__validation_status" if row.rejected => "Not Approved".into(),
            "_validation_status" | "_submission__validation_status" => ["Approved", "Approved", "", "On Hold"]
                .choose(&mut self.rng)
                .expect("non-empty")
                .to_string(),
            "_parent_index" => row.parent.as_ref().map(|p| p.index.to_string()).unwrap_or_default(),
            "_parent_table_name" => child.and_then(|p| p.sheet.clone()).unwrap_or_default(),
            "_submission__id" => row.parent_cell("_id"),
            "_submission__uuid" => row.parent_cell("_uuid"),
            _ => self.extra(h, row.index),
        };
        headers
            .iter()
            .map(|h| match row.by_header.get(h) {
                Some(w) => w.cell.clone(),
                None => Cell::S(own(h)),
            })
            .collect()
    }

    /// Re-exported rows: some rows appear twice, the copy anywhere after the
    /// first.
    fn re_export(&mut self, rows: &mut Vec<Vec<Cell>>, dates: &mut Vec<NaiveDate>) {
        let n = rows.len();
        for i in 0..n {
            if self.rng.random_bool(self.style.dup) {
                let pos = self.rng.random_range(i..=rows.len());
                let (r, d) = (rows[i].clone(), dates[i]);
                rows.insert(pos, r);
                dates.insert(pos, d);
            }
        }
    }
}

/// What a source's rows record: one person each (a sheet that feeds
/// survivors, with the first case and its claim if held), else one case,
/// else one claim.
fn units<'w>(w: &'w World, source: &Source, held: &Held) -> Vec<Unit<'w>> {
    if source.tables.contains_key("survivors") {
        let held_cases: HashSet<usize> = held.cases.iter().copied().collect();
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
                (person, case, claim)
            })
            .collect()
    } else if source.tables.contains_key("cases") {
        held.cases
            .iter()
            .map(|&c| (&w.people[w.cases[c].person], Some(&w.cases[c]), None))
            .collect()
    } else {
        held.claims
            .iter()
            .map(|&cl| {
                let case = &w.cases[w.claims[cl].case];
                (&w.people[case.person], Some(case), Some(&w.claims[cl]))
            })
            .collect()
    }
}

/// Parts of the row (and its parent) joined: the case's id from the
/// survivor's and the row's.
fn joined_parts(at: &Target<'_>, j: &Joined, row: &mut Row<'_>) -> Written {
    let parts: Vec<String> = j
        .columns
        .iter()
        .map(|h| match h.as_str() {
            "_index" => (row.index + 1).to_string(),
            h => row.parent_cell(h),
        })
        .filter(|v| !v.is_empty())
        .collect();
    let v = parts.join(&j.separator);
    if at.column.name == at.schema.key[1] {
        row.joined_ref = Some(v.clone());
    }
    Written::exact(v)
}

/// What the truth records of one written field: its clean value, and for a
/// name, phone or village the text as written (which the linkage scorer
/// reads) instead.
fn field_truth(t: &mut TruthRow, c: &ColumnSpec, truth_value: &Option<V>, written: &Written) {
    let text = match &written.cell {
        Cell::S(s) => Some(s),
        _ => None,
    };
    if let (Some(V::Name { .. }), Some(s)) = (truth_value, text) {
        t.values.insert(format!("written_{}", c.name), s.clone());
    }
    if let (ColumnType::Phone, Some(s)) = (c.ty, text) {
        t.values.insert("written_phone".into(), s.clone());
    }
    if let (ColumnType::Address, Some(s)) = (c.ty, text) {
        t.values.insert("written_village".into(), s.clone());
    }
    if c.ty == ColumnType::Sections {
        let traffic = written.expected.as_ref().map(|_| match truth_value {
            Some(V::Sections(items)) => is_trafficking(items).to_string(),
            _ => String::new(),
        });
        t.values
            .insert("is_trafficking_case".into(), traffic.unwrap_or_default());
    }
    if !matches!(c.ty, ColumnType::Name | ColumnType::Phone | ColumnType::Address) {
        t.values
            .insert(c.name.clone(), written.expected.clone().unwrap_or_default());
    }
}

/// The truth file a source table's records go to.
fn truth_table(table: &str) -> &'static str {
    match table {
        "survivors" => "survivors",
        "cases" => "cases",
        _ => "compensation_claims",
    }
}

/// The headers a `select_multiple` question is exported under: its summary
/// column, then one column per option.
fn choice_headers(ch: &Choices, labels: &[String]) -> Vec<String> {
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
