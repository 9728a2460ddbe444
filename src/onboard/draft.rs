//! The draft pipeline config: the columns onboarding recognised, mapped;
//! the rest listed; every open question a `# DECIDE:` comment.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use tafteesh_readers::Format;

use super::{ColumnProfile, Kind, Profile, header_key};
use crate::clean::codes::CodeBook;
use crate::config::schema::{ColumnSpec, ColumnType, Privacy, TableSchema};

/// A drafted config and what the data officer must still decide.
#[derive(Debug, Clone)]
pub struct Draft {
    pub toml: String,
    /// (header, "table.column") for each column mapped.
    pub mapped: Vec<(String, String)>,
    pub unmapped: Vec<String>,
    pub decisions: Vec<String>,
    /// For each coded column mapped to an enumerated or yes/no column, by
    /// header: the codes the schema already knows (shown as written), and
    /// those it does not (shown by their shape only: a Gender column that
    /// holds names, its columns shifted, must not print them).
    pub codes: BTreeMap<String, ShownCodes>,
}

/// A coded column's values as the profile and the draft may show them.
#[derive(Debug, Clone, Default)]
pub struct ShownCodes {
    /// (code as written, rows): codes the schema's synonyms know.
    pub known: Vec<(String, usize)>,
    /// (shape, rows) of each code it does not know.
    pub unknown: Vec<(String, usize)>,
}

/// Every code word the schemas know: each enumerated column's values and
/// synonyms, and yes and no. A cell holding one is a known value, whatever
/// column it sits in; onboarding may print it.
struct Vocabulary {
    books: Vec<CodeBook>,
}

impl Vocabulary {
    fn of(schemas: &[TableSchema]) -> Vocabulary {
        let mut books: Vec<CodeBook> = schemas
            .iter()
            .flat_map(|s| s.columns.iter())
            .filter(|c| c.ty == ColumnType::Enum)
            .map(|c| CodeBook::for_enum(c, None))
            .collect();
        books.push(CodeBook::for_boolean(None));
        Vocabulary { books }
    }

    fn knows(&self, code: &str) -> bool {
        self.books.iter().any(|b| b.lookup(code).is_some())
    }
}

/// How well a header names a schema column: 3 exactly one of its headers,
/// 2 holds one (of five letters or more), 0 not at all.
fn header_score(header: &str, key: &str, spec: &ColumnSpec) -> u8 {
    // KoboToolbox's and ODK's own columns (`_validation_status`) hold no
    // schema column but the ones named exactly (`_submission_time`).
    let meta = header.starts_with('_');
    let names = spec
        .headers
        .iter()
        .map(|h| header_key(h))
        .chain(std::iter::once(header_key(&spec.name)));
    let mut best = 0;
    for n in names.filter(|n| !n.is_empty()) {
        if n == key {
            return 3;
        }
        let contains = !meta && n.chars().count() >= 5 && format!(" {key} ").contains(&format!(" {n} "));
        if contains {
            best = 2;
        }
    }
    best
}

/// Whether the values fit the column's type; the reason when they do not.
fn fits(spec: &ColumnSpec, c: &ColumnProfile) -> Result<(), String> {
    if c.filled == 0 {
        return Ok(());
    }
    let want = |kinds: &[Kind], share: f64| -> Result<(), String> {
        let s: f64 = kinds.iter().map(|k| c.share(*k)).sum();
        if s >= share {
            Ok(())
        } else {
            Err(format!(
                "its values look like {} more than {}",
                c.kind().unwrap_or(Kind::Text).as_str(),
                kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or ")
            ))
        }
    };
    match spec.ty {
        ColumnType::Date => want(&[Kind::Date], 0.5),
        ColumnType::AmountInr => want(&[Kind::Amount, Kind::Integer], 0.5),
        ColumnType::Phone => want(&[Kind::Phone], 0.5),
        ColumnType::Integer => want(&[Kind::Integer], 0.5),
        ColumnType::District | ColumnType::State => want(&[Kind::District, Kind::State], 0.3),
        ColumnType::Sections => want(&[Kind::Sections], 0.3),
        ColumnType::Boolean => want(&[Kind::YesNo, Kind::Integer, Kind::Text], 0.5),
        // A date is never a code: "Verdict Date" names the verdict's day,
        // not the verdict.
        ColumnType::Enum if c.share(Kind::Date) > 0.5 => Err("its values are dates, not codes".into()),
        ColumnType::Name | ColumnType::Address => {
            if c.share(Kind::Date) + c.share(Kind::Amount) + c.share(Kind::Phone) > 0.5 {
                Err("its values are numbers or dates, not words".into())
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A header that may feed a schema column: (how well its header names the
/// column, its index, the table, the column, whether its values fit).
type Candidate<'s> = (u8, usize, &'s TableSchema, &'s ColumnSpec, Result<(), String>);

/// The columns that hold a reference to a record, which a header may feed
/// beside a column of its own.
const REFS: [&str; 3] = ["survivor_ref", "case_ref", "claim_ref"];

/// Every header that may feed a schema column, best first: values that fit
/// before those that do not, then the closer header; survivors' columns
/// before other tables'.
fn candidates<'s>(p: &Profile, schemas: &'s [TableSchema]) -> Vec<Candidate<'s>> {
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for (i, c) in p.columns.iter().enumerate() {
        let key = header_key(&c.header);
        // ODK Central joins a group's path with `-` (`case-fir_date`):
        // the last part is tried too, after the whole header.
        let last = c
            .header
            .rsplit_once('-')
            .map(|(_, l)| header_key(l))
            .filter(|l| !l.is_empty() && *l != key);
        for s in schemas {
            for spec in s.columns.iter().filter(|x| x.is_mappable()) {
                let whole = header_score(&c.header, &key, spec);
                let part = last.as_ref().map_or(0, |l| header_score(&c.header, l, spec).min(2));
                let score = whole.max(part);
                if score > 0 {
                    candidates.push((score, i, s, spec, fits(spec, c)));
                }
            }
        }
    }
    candidates.sort_by(|a, b| {
        (b.4.is_ok(), b.0)
            .cmp(&(a.4.is_ok(), a.0))
            .then(a.1.cmp(&b.1))
            .then(a.2.table.cmp(&b.2.table))
    });
    // A header two tables could read ("Block", "District") goes to the
    // table the file's other headers name most (an entitlement tracker's
    // Block is the office's, not the survivor's home); on a tie, the
    // survivor's: a wide export's case columns are the rest.
    let mut tables_of: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for c in &candidates {
        tables_of.entry(c.1).or_default().insert(c.2.table.as_str());
    }
    let mut support: BTreeMap<&str, usize> = BTreeMap::new();
    for tables in tables_of.values().filter(|t| t.len() == 1) {
        *support
            .entry(tables.iter().next().copied().unwrap_or_default())
            .or_default() += 1;
    }
    candidates.sort_by_key(|c| {
        (
            std::cmp::Reverse(support.get(c.2.table.as_str()).copied().unwrap_or(0)),
            c.2.table != "survivors",
        )
    });
    candidates.sort_by_key(|c| std::cmp::Reverse((c.4.is_ok(), c.0)));
    candidates
}

/// Which header feeds which schema column.
struct Mapping<'s> {
    /// table -> column -> header index.
    by_table: BTreeMap<&'s str, BTreeMap<&'s str, usize>>,
    /// Headers read by a column of their own (not a reference to a record).
    owned: BTreeSet<usize>,
    /// Headers that named a column their values do not fit, and why.
    doubtful: BTreeMap<usize, String>,
    /// Date columns written as yyyymmdd, which need their format declared.
    compact: BTreeSet<(&'s str, &'s str)>,
    /// The tables the file feeds.
    fed: Vec<&'s TableSchema>,
    /// One row per survivor, which may hold her case and claim too.
    feeds_survivors: bool,
    /// The header guessed to be the survivor's id, when none said so.
    guessed_id: Option<usize>,
    /// The header guessed, by its values' shape, to be the survivor's
    /// name, when no header said so ("Victim", "reg-name").
    guessed_name: Option<usize>,
}

impl<'s> Mapping<'s> {
    /// Each header to the best column it may feed that no better header
    /// took, one column of its own per header (and any references).
    fn of(p: &Profile, schemas: &'s [TableSchema]) -> Mapping<'s> {
        let mut m = Mapping {
            by_table: BTreeMap::new(),
            owned: BTreeSet::new(),
            doubtful: BTreeMap::new(),
            compact: BTreeSet::new(),
            fed: Vec::new(),
            feeds_survivors: false,
            guessed_id: None,
            guessed_name: None,
        };
        let mut used: BTreeSet<(usize, &str)> = BTreeSet::new();
        for (_, i, s, spec, fit) in &candidates(p, schemas) {
            let t = m.by_table.entry(s.table.as_str()).or_default();
            let is_ref = REFS.contains(&spec.name.as_str());
            if t.contains_key(spec.name.as_str())
                || used.contains(&(*i, s.table.as_str()))
                || (!is_ref && m.owned.contains(i))
            {
                continue;
            }
            let fit = match fit {
                Err(_) if spec.ty == ColumnType::Date && p.columns[*i].share_compact_date() >= 0.5 => {
                    m.compact.insert((s.table.as_str(), spec.name.as_str()));
                    &Ok(())
                }
                f => f,
            };
            if let Err(why) = fit {
                m.doubtful
                    .entry(*i)
                    .or_insert_with(|| format!("its header suggests {}.{}, but {why}", s.table, spec.name));
                continue;
            }
            t.insert(spec.name.as_str(), *i);
            used.insert((*i, s.table.as_str()));
            if !is_ref {
                m.owned.insert(*i);
            }
        }
        // A table is fed when the file holds something of its own, not only
        // references to other tables' records; and never by one date or
        // its own id alone ("Chargesheet Filed On" read as a claim's
        // application date would invent a claim on every row, a serial
        // number an entitlement).
        for s in schemas {
            let Some(cols) = m.by_table.get(s.table.as_str()) else {
                continue;
            };
            let own: Vec<(&str, usize)> = cols
                .iter()
                .filter(|(k, _)| !REFS.contains(k))
                .map(|(k, i)| (*k, *i))
                .collect();
            // Nor by columns blank in every row (ODK Central's own `Status`).
            if !own.is_empty() && own.iter().all(|(_, i)| p.columns[*i].filled == 0) {
                for (col, i) in &own {
                    m.doubtful.entry(*i).or_insert_with(|| {
                        format!(
                            "its header suggests {}.{col}, but it is blank in every row: no table is drafted from blank columns",
                            s.table
                        )
                    });
                    m.owned.remove(i);
                }
                m.by_table.remove(s.table.as_str());
                continue;
            }
            if let [(col, i)] = own[..]
                && (s.column(col).is_some_and(|c| c.ty == ColumnType::Date) || s.key.iter().any(|k| k == col))
            {
                m.doubtful.entry(i).or_insert_with(|| {
                    format!(
                        "its header suggests {}.{}, but it would be the only column of {}: no table is drafted from one date or id",
                        s.table, col, s.table
                    )
                });
                m.owned.remove(&i);
                m.by_table.remove(s.table.as_str());
            }
        }
        m.guess_survivor_name(p);
        m.fed = schemas.iter().filter(|s| own_of(&m.by_table, &s.table) > 0).collect();
        m.feeds_survivors = m.fed.iter().any(|s| s.table == "survivors");
        m.guess_survivor_id(p);
        m
    }

    /// No header named the survivor's name: the first column not mapped
    /// whose values are shaped like names (two to five words of letters,
    /// most of them different), when the file feeds survivors or holds
    /// nothing else a table could be drafted from. A column headed as a
    /// father's or guardian's is not hers.
    fn guess_survivor_name(&mut self, p: &Profile) {
        let named = self
            .by_table
            .get("survivors")
            .is_some_and(|m| m.contains_key("full_name"));
        let survivors_fed = own_of(&self.by_table, "survivors") > 0;
        let only_refs = self.by_table.keys().all(|t| own_of(&self.by_table, t) == 0);
        if named || !(survivors_fed || only_refs) {
            return;
        }
        let kin = [
            "father",
            "guardian",
            "husband",
            "mother",
            "parent",
            "spouse",
            "পিতা",
            "অভিভাবক",
            "স্বামী",
            "বাবা",
        ];
        let guess = p.columns.iter().enumerate().find(|(i, c)| {
            let key = header_key(&c.header);
            !self.owned.contains(i)
                && !self.doubtful.contains_key(i)
                && !kin.iter().any(|k| key.contains(k))
                && c.share_name_like() >= 0.8
                && c.filled * 2 >= p.sampled
                && c.distinct > 30.min(c.filled * 2 / 3)
        });
        if let Some((i, _)) = guess {
            self.by_table.entry("survivors").or_default().insert("full_name", i);
            self.owned.insert(i);
            self.guessed_name = Some(i);
        }
    }

    /// No header named a survivor's id: the column most like one (its
    /// header ends in "id", "no", "code"; it is full and has many values),
    /// mapped for the officer to confirm.
    fn guess_survivor_id(&mut self, p: &Profile) {
        let named = self
            .by_table
            .get("survivors")
            .is_some_and(|m| m.contains_key("survivor_ref"));
        if !self.feeds_survivors || named {
            return;
        }
        let guess = p.columns.iter().enumerate().find(|(i, c)| {
            let key = header_key(&c.header);
            let last = key.rsplit(' ').next().unwrap_or_default();
            !self.owned.contains(i)
                && ["id", "no", "code", "ref", "নং"].contains(&last)
                && c.distinct > 30.min(p.sampled / 2)
                && c.filled * 10 >= p.sampled * 9
        });
        if let Some((i, _)) = guess {
            self.by_table.entry("survivors").or_default().insert("survivor_ref", i);
            self.guessed_id = Some(i);
        }
    }
}

/// The columns of its own (not references) a table is fed.
fn own_of(by_table: &BTreeMap<&str, BTreeMap<&str, usize>>, table: &str) -> usize {
    by_table
        .get(table)
        .map(|c| c.keys().filter(|k| !REFS.contains(k)).count())
        .unwrap_or(0)
}

/// Where the profiled file lies, for its source's `files` glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lies {
    /// In this folder of the inbox (its path from the inbox, `/`-separated).
    In(String),
    /// At the inbox's root.
    AtRoot,
    /// Outside the inbox, or where the inbox is is not known: the draft
    /// assumes the partner's folder.
    Unknown,
}

/// Draft `partner_id`'s config for the profiled file `file_name`, which
/// lies where `lies` says.
pub fn draft(p: &Profile, schemas: &[TableSchema], partner_id: &str, (file_name, lies): (&str, &Lies)) -> Draft {
    let mapping = Mapping::of(p, schemas);
    let mut d = Drafting::default();
    d.preamble(p, partner_id);
    d.source(p, (partner_id, lies), file_name);
    d.form_columns(p);
    let vocabulary = Vocabulary::of(schemas);
    for s in &mapping.fed {
        d.table(p, s, &mapping, &vocabulary);
    }
    if mapping.fed.is_empty() {
        d.decisions
            .push("which table this file feeds: no header was recognised".into());
        let _ = writeln!(
            d.out,
            "\n# DECIDE: no header was recognised. Map the columns by hand:\n[sources.tables.survivors.columns]\n# survivor_ref = \"...\""
        );
    }
    let unmapped = d.unmapped(p, &mapping.doubtful);
    Draft {
        toml: d.out,
        mapped: d.mapped,
        unmapped,
        decisions: d.decisions,
        codes: d.codes,
    }
}

/// The draft while it is written, with what it mapped and left to decide.
#[derive(Default)]
struct Drafting {
    out: String,
    mapped: Vec<(String, String)>,
    decisions: Vec<String>,
    codes: BTreeMap<String, ShownCodes>,
}

impl Drafting {
    /// What the draft is, the partner and its date order.
    fn preamble(&mut self, p: &Profile, partner_id: &str) {
        let out = &mut self.out;
        let _ = writeln!(
            out,
            "# Draft pipeline config written by `tafteesh onboard` from an export\n\
             # nobody had configured. Read it with the export open beside it: every\n\
             # line starting `# DECIDE:` is a question only the data officer can\n\
             # answer. Then run `tafteesh validate` and `tafteesh run --dry-run`.\n\
             # The headers it recognised are mapped; the columns it did not are\n\
             # listed at the end of each source."
        );
        let _ = writeln!(out, "partner_id = {}", q(partner_id));
        let _ = writeln!(out, "# DECIDE: the partner's name as reports show it.");
        let _ = writeln!(out, "name = {}", q(&format!("{partner_id} (draft)")));
        self.decisions.push("the partner's name (`name`)".to_string());
        let (dmy, mdy): (usize, usize) = p
            .columns
            .iter()
            .fold((0, 0), |(d, m), c| (d + c.day_first, m + c.month_first));
        let order = if mdy > dmy { "mdy" } else { "dmy" };
        let _ = writeln!(
            out,
            "# {} dates had their day first (a first number above 12), {} their month first.",
            dmy, mdy
        );
        let _ = writeln!(out, "date_order = {}", q(order));
    }

    /// The source: its files, format and header row.
    fn source(&mut self, p: &Profile, (partner_id, lies): (&str, &Lies), file_name: &str) {
        let out = &mut self.out;
        // The source's name is published; a file's name may be a survivor's,
        // so neither it nor the file's name reaches the draft: its folder and
        // its format do.
        let _ = writeln!(
            out,
            "\n[[sources]]\n# A name for this export (reports show it).\nname = \"register\""
        );
        let ext = match p.format {
            Format::Csv => "csv".to_string(),
            Format::Xlsx => file_name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .filter(|e| ["xlsx", "xlsm", "xls", "ods"].contains(&e.as_str()))
                .unwrap_or_else(|| "xlsx".into()),
        };
        // The glob names where the file lies, never the file's own name.
        match lies {
            Lies::In(folder) => {
                let _ = writeln!(out, "files = {}", q(&format!("{folder}/*.{ext}")));
            }
            Lies::AtRoot => {
                let _ = writeln!(
                    out,
                    "# DECIDE: the file lies at the inbox's root, so this takes every .{ext} there.\n\
                     # Narrow it (never with a survivor's name), or give the partner a folder."
                );
                let _ = writeln!(out, "files = {}", q(&format!("*.{ext}")));
                self.decisions
                    .push("which files at the inbox's root are this partner's (`files`)".into());
            }
            Lies::Unknown => {
                let _ = writeln!(
                    out,
                    "# DECIDE: the file does not lie in a known inbox: this reads the partner's\n\
                     # folder in the inbox. Put its exports there, or change the pattern."
                );
                let _ = writeln!(out, "files = {}", q(&format!("{partner_id}/*.{ext}")));
                self.decisions
                    .push("the files glob, against where the files lie in the inbox (`files`)".into());
            }
        }
        let out = &mut self.out;
        match p.format {
            Format::Csv => {
                let _ = writeln!(out, "format = \"csv\"");
                if let Some(d) = p.delimiter.filter(|d| *d != b',') {
                    let d = if d == b'\t' {
                        "tab".to_string()
                    } else {
                        (d as char).to_string()
                    };
                    let _ = writeln!(out, "delimiter = {}", q(&d));
                }
            }
            Format::Xlsx => {
                let _ = writeln!(out, "format = \"xlsx\"");
                if let Some(s) = &p.sheet {
                    let _ = writeln!(out, "sheet = {}", q(s));
                }
            }
        }
        if p.header_row > 1 {
            let _ = writeln!(
                out,
                "# The rows above the header hold a title.\nheader_row = {}",
                p.header_row
            );
        }
    }

    /// The columns KoboToolbox adds that the config must act on: a repeat
    /// group's parent index, and the validation status.
    fn form_columns(&mut self, p: &Profile) {
        let has = |h: &str| p.columns.iter().any(|c| c.header == h);
        if has("_parent_index") {
            let others: Vec<&String> = p.sheets.iter().filter(|s| Some(*s) != p.sheet.as_ref()).collect();
            let _ = writeln!(
                self.out,
                "# DECIDE: this sheet is a KoboToolbox repeat group (it has `_parent_index`).\n\
                 # Name the form's main sheet ({}), and read the survivor's id as\n\
                 # \"../<its header>\":\n# parent = {{ sheet = \"...\" }}",
                others.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
            );
            self.decisions.push("the repeat group's parent sheet (`parent`)".into());
        }
        // ODK Central: a repeat group's CSV names its submission in
        // PARENT_KEY (the main CSV's KEY); a reviewed submission's state is
        // in ReviewState, and a rejected one is not a record.
        if has("PARENT_KEY") {
            let _ = writeln!(
                self.out,
                "# DECIDE: this file is an ODK Central repeat group (it has `PARENT_KEY`).\n\
                 # Name the form's main CSV beside it, and read the survivor's id as\n\
                 # \"../<its header>\" (its ReviewState as \"../ReviewState\"):\n\
                 # parent = {{ file = \"...\", index = \"KEY\", reference = \"PARENT_KEY\" }}"
            );
            self.decisions
                .push("the repeat group's parent file (`parent`, by KEY and PARENT_KEY)".into());
        }
        if has("ReviewState") {
            let _ = writeln!(
                self.out,
                "\n# ODK Central review: a submission marked rejected is not a record.\n\
                 [[sources.reject]]\nequals = {{ \"ReviewState\" = \"rejected\" }}"
            );
        }
        if let Some(v) = p.columns.iter().find(|c| c.header.ends_with("_validation_status")) {
            let not_approved = v
                .codes
                .iter()
                .flatten()
                .any(|(code, _)| code.to_lowercase().replace(['_', ' '], "").contains("notapproved"));
            let _ = writeln!(
                self.out,
                "\n# KoboToolbox validation: submissions marked not approved are not records.{}\n\
                 [[sources.reject]]\nmatches = {{ {} = '(?i)not.?approved' }}",
                if not_approved { "" } else { " (none is marked yet)" },
                q(&v.header)
            );
        }
    }

    /// One fed table: its columns, date formats, row condition and codes.
    fn table(&mut self, p: &Profile, s: &TableSchema, mapping: &Mapping<'_>, vocabulary: &Vocabulary) {
        let m = &mapping.by_table[s.table.as_str()];
        self.columns(p, s, mapping);
        let compact_here: Vec<&&str> = mapping
            .compact
            .iter()
            .filter(|(t, c)| *t == s.table && m.contains_key(c))
            .map(|(_, c)| c)
            .collect();
        if !compact_here.is_empty() {
            let _ = writeln!(
                self.out,
                "\n# Dates written as yyyymmdd.\n[sources.tables.{}.formats]",
                s.table
            );
            for c in compact_here {
                let _ = writeln!(self.out, "{c} = \"%Y%m%d\"");
            }
        }
        // A wide export: the row is a record of this table only where its
        // own columns hold something.
        if mapping.feeds_survivors && s.table != "survivors" {
            let own_headers: Vec<String> = m
                .iter()
                .filter(|(k, _)| !REFS.contains(k))
                .map(|(_, &i)| q(&p.columns[i].header))
                .collect();
            let _ = writeln!(
                self.out,
                "\n# One row per survivor: a row holds a record of {} only where one of\n\
                 # these is filled (without this, every survivor would count as one).\n\
                 [sources.tables.{}.when]\nany_filled = [{}]",
                s.table,
                s.table,
                own_headers.join(", ")
            );
        }
        // Codes the schema does not know, for each coded column.
        for spec in s
            .columns
            .iter()
            .filter(|x| matches!(x.ty, ColumnType::Enum | ColumnType::Boolean))
        {
            if let Some(&i) = m.get(spec.name.as_str()) {
                self.codes(s, spec, &p.columns[i], vocabulary);
            }
        }
    }

    /// The table's columns, each mapped to its header.
    fn columns(&mut self, p: &Profile, s: &TableSchema, mapping: &Mapping<'_>) {
        let m = &mapping.by_table[s.table.as_str()];
        let _ = writeln!(self.out, "\n[sources.tables.{}.columns]", s.table);
        for spec in s.columns.iter().filter(|x| x.is_mappable()) {
            let Some(&i) = m.get(spec.name.as_str()) else {
                if spec.name == s.key[1] {
                    self.unmapped_key(p, s, spec, mapping);
                }
                continue;
            };
            let c = &p.columns[i];
            if mapping.guessed_name == Some(i) && spec.name == "full_name" {
                let _ = writeln!(
                    self.out,
                    "# DECIDE: no header said \"name\"; this column's values are shaped like names. Confirm it is the survivor's."
                );
                self.decisions
                    .push(format!("whether {} is the survivor's name (`full_name`)", q(&c.header)));
            }
            if mapping.guessed_id == Some(i) && spec.name == "survivor_ref" {
                let _ = writeln!(
                    self.out,
                    "# DECIDE: no header said \"survivor id\"; this column looks like one. Confirm it."
                );
                self.decisions.push(format!(
                    "whether {} identifies a survivor (`survivor_ref`)",
                    q(&c.header)
                ));
            }
            let what = match spec.privacy {
                Privacy::Direct => "a direct identifier: pseudonymised, never published".to_string(),
                _ => format!("{}% filled", percent(c.filled, p.sampled)),
            };
            let _ = writeln!(self.out, "{} = {}  # {what}", spec.name, q(&c.header));
            self.mapped
                .push((c.header.clone(), format!("{}.{}", s.table, spec.name)));
        }
    }

    /// A record's id no header named: in a wide export (one row per
    /// survivor holding her case) the survivor's id stands for it; else the
    /// officer must say which column it is.
    fn unmapped_key(&mut self, p: &Profile, s: &TableSchema, spec: &ColumnSpec, mapping: &Mapping<'_>) {
        let survivor = mapping.by_table.get("survivors").and_then(|t| t.get("survivor_ref"));
        match (mapping.feeds_survivors && s.table != "survivors", survivor) {
            (true, Some(&si)) => {
                let h = &p.columns[si].header;
                let _ = writeln!(
                    self.out,
                    "# One row per survivor: the row's id stands for this record's.\n{} = {}",
                    spec.name,
                    q(h)
                );
                self.mapped.push((h.clone(), format!("{}.{}", s.table, spec.name)));
            }
            _ => {
                let _ = writeln!(
                    self.out,
                    "# DECIDE: which column identifies a record of {} (required).\n# {} = \"...\"",
                    s.table, spec.name
                );
                self.decisions.push(format!(
                    "the column that identifies a record of {} (`{}`)",
                    s.table, spec.name
                ));
            }
        }
    }

    /// A coded column's codes: those the schema knows are kept for the
    /// profile; the others become a `values` table to fill in, a code that
    /// is no word of the schema's vocabulary shown by its shape only.
    fn codes(&mut self, s: &TableSchema, spec: &ColumnSpec, c: &ColumnProfile, vocabulary: &Vocabulary) {
        let Some(codes) = &c.codes else { return };
        let (shown, words, other) = sort_codes(spec, codes, vocabulary);
        self.codes.insert(c.header.clone(), shown);
        if words.is_empty() && other.is_empty() {
            return;
        }
        let allowed = match spec.ty {
            ColumnType::Enum => spec.values.join(", "),
            _ => "true, false".into(),
        };
        let out = &mut self.out;
        let _ = writeln!(
            out,
            "\n# DECIDE: what these codes of {} mean (one of: {allowed}).\n[sources.tables.{}.values.{}]",
            q(&c.header),
            s.table,
            spec.name
        );
        for (v, n) in &words {
            let _ = writeln!(out, "# {} = \"\"  # {n} rows", q(v));
        }
        if !other.is_empty() {
            let _ = writeln!(
                out,
                "# And {} code(s) that are not words the schema knows, not written here\n\
                 # (a code column may hold anything a person typed): open the export, and\n\
                 # map each as \"<code as written>\" = \"<value>\".",
                other.len()
            );
            for (i, (v, n)) in other.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "# code {} of {}: shaped `{}`, {n} rows",
                    i + 1,
                    other.len(),
                    crate::clean::shape(v)
                );
            }
        }
        self.decisions
            .push(format!("the meaning of {}'s codes ({})", q(&c.header), spec.name));
    }

    /// The headers nothing was mapped to, listed at the end with their fill,
    /// kind and why a column they seemed to name was not taken.
    fn unmapped(&mut self, p: &Profile, doubtful: &BTreeMap<usize, String>) -> Vec<String> {
        let mapped_headers: BTreeSet<&String> = self.mapped.iter().map(|m| &m.0).collect();
        let unmapped: Vec<(usize, &ColumnProfile)> = p
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !mapped_headers.contains(&c.header))
            .collect();
        if !unmapped.is_empty() {
            let _ = writeln!(
                self.out,
                "\n# Columns not mapped (decide whether any holds what a schema column means):"
            );
        }
        for (i, c) in &unmapped {
            let kind = c.kind().map(|k| k.as_str()).unwrap_or("mixed");
            let note = match doubtful.get(i) {
                Some(d) => format!("; {d}"),
                None if c.header.contains('/')
                    && c.codes
                        .as_ref()
                        .is_some_and(|v| v.iter().all(|(x, _)| x == "0" || x == "1")) =>
                {
                    "; a select_multiple option (1/0): read the question with `choices`".into()
                }
                None => String::new(),
            };
            let _ = writeln!(
                self.out,
                "#   {}: {}% filled, {kind}{note}",
                q(&c.header),
                percent(c.filled, p.sampled)
            );
        }
        unmapped.iter().map(|(_, c)| c.header.clone()).collect()
    }
}

/// A coded column's codes, as the profile may show them, and those the
/// draft asks about: (shown, unknown words of the schema's vocabulary,
/// other unknown codes). Codes are matched as the code book matches them
/// (case, spaces and punctuation folded): "Yes" and "yes" are one. A code
/// this column's book does not know is written as it is only when it is a
/// word of the vocabulary (another column's code, yes or no); any other by
/// its shape only.
#[allow(clippy::type_complexity)]
fn sort_codes(
    spec: &ColumnSpec,
    codes: &[(String, usize)],
    vocabulary: &Vocabulary,
) -> (ShownCodes, Vec<(String, usize)>, Vec<(String, usize)>) {
    let book = match spec.ty {
        ColumnType::Enum => CodeBook::for_enum(spec, None),
        _ => CodeBook::for_boolean(None),
    };
    let mut shown = ShownCodes::default();
    let mut unknown: Vec<(String, usize)> = Vec::new();
    for (v, n) in codes {
        if book.lookup(v).is_some() {
            shown.known.push((v.clone(), *n));
            continue;
        }
        let key = tafteesh_parsers::text::place_key(v);
        match unknown
            .iter_mut()
            .find(|(u, _)| tafteesh_parsers::text::place_key(u) == key)
        {
            Some(u) => u.1 += n,
            None => unknown.push((v.clone(), *n)),
        }
    }
    let (words, other): (Vec<_>, Vec<_>) = unknown.into_iter().partition(|(v, _)| vocabulary.knows(v));
    shown.known.extend(words.iter().cloned());
    shown.unknown = other.iter().map(|(v, n)| (crate::clean::shape(v), *n)).collect();
    (shown, words, other)
}

/// `n` of `of` as a whole percentage, rounded; 0 of nothing.
pub fn percent(n: usize, of: usize) -> usize {
    (n * 100 + of / 2).checked_div(of).unwrap_or(0)
}
