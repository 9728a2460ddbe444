//! The run ledger: one line per run, appended to `output/ledger.jsonl`
//! outside the snapshots, and loaded into every warehouse as `run_ledger`.
//!
//! The ledger lives outside the snapshots because a run that changed
//! nothing must write nothing in them, yet still leave a record; because a
//! failed run publishes no snapshot; and because rolling back must not
//! rewrite history. Each line is written with one `write` call on a file
//! opened for appending, so a crash can at worst leave a torn last line,
//! which readers skip with a warning.
//!
//! Lines hold counts, times, paths relative to the inbox, hashes and error
//! messages (which never carry a personal value), nothing else.
//!
//! A line is bounded: it names at most [`INPUTS_NAMED`] input files and
//! counts the rest, and its error message is cut at [`ERROR_CHARS`]. A
//! night whose inbox held 200,000 files once wrote a 38 MB line that
//! DuckDB's JSON reader refused, and every later night loaded it again and
//! failed; a line that cannot grow with the inbox cannot do that. Lines
//! written before the bound are cut the same way as they are read. A line
//! that cannot be read (torn by a power cut, not UTF-8, not JSON) is
//! skipped with a warning naming its line number, never a reason to refuse
//! a run, `status` or `rollback`.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aliases::FileAliases;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::metrics::StageMetric;

/// Input files a ledger line names at most; the rest are counted.
pub const INPUTS_NAMED: usize = 20;

/// Characters of an error message a ledger line keeps at most.
pub const ERROR_CHARS: usize = 4_000;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// A new snapshot was published.
    Published,
    /// Nothing changed since the current snapshot; nothing was rebuilt.
    Unchanged,
    /// The run stopped with an error; the current snapshot was kept.
    Failed,
    /// The run was killed; the next run found what it left and removed it.
    Interrupted,
    /// The run built a snapshot that would have published markedly less
    /// than the current one, and held it back (exit 7).
    HeldBack,
    /// The run (or rollback) did not start: another held the lock (exit 5).
    Refused,
    /// `tafteesh rollback` made an earlier snapshot (`snapshot`) current.
    RolledBack,
    /// SIGTERM or SIGINT stopped the run at a safe point (exit 9); it
    /// removed what it had built.
    Stopped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Published => "published",
            RunStatus::Unchanged => "unchanged",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::HeldBack => "held_back",
            RunStatus::Refused => "refused",
            RunStatus::RolledBack => "rolled_back",
            RunStatus::Stopped => "stopped",
        }
    }
}

/// One input file as the ledger records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerInput {
    pub path: String,
    pub partner_id: Option<String>,
    pub bytes: u64,
    pub modified: DateTime<Utc>,
    pub sha256: String,
}

/// Rows of one partner and table in one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerCount {
    pub partner_id: String,
    pub table_name: String,
    pub files: usize,
    pub rows_read: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    pub kept: usize,
    pub warnings: usize,
    /// Records with no data-quality finding: the MIS accuracy numerator, kept per run for its trend.
    #[serde(default)]
    pub clean_records: usize,
}

/// One line of the ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: RunStatus,
    pub exit_code: u8,
    pub tafteesh_version: String,
    pub config_fingerprint: Option<String>,
    pub inputs_fingerprint: Option<String>,
    /// The snapshot current after the run: the one it published, or the one it kept.
    pub snapshot: Option<String>,
    pub error: Option<String>,
    pub rows_read: usize,
    pub rows_kept: usize,
    pub rows_quarantined: usize,
    pub duplicates_removed: usize,
    /// The first [`INPUTS_NAMED`] input files by path; `inputs_total`
    /// and `inputs_bytes` count them all.
    pub inputs: Vec<LedgerInput>,
    #[serde(default)]
    pub inputs_total: usize,
    #[serde(default)]
    pub inputs_bytes: u64,
    pub counts: Vec<LedgerCount>,
    pub stages: Vec<StageMetric>,
    /// The warehouse stage step by step (each model's time), so a slow
    /// night can be explained: `select s.* from run_ledger, unnest(warehouse_steps) as t(s)`.
    #[serde(default)]
    pub warehouse_steps: Vec<crate::warehouse::StepTiming>,
    /// Whether linkage trained its model or reused it (and why), and the
    /// pairs it scored: a night that trained costs more.
    #[serde(default)]
    pub linkage: Option<crate::link::stage::LinkageRun>,
    /// Partners cleaned again in this run, and partners carried over unchanged.
    pub recomputed: Vec<String>,
    pub reused: Vec<String>,
    /// The line names files by their aliases only (see [`crate::aliases`]).
    /// Lines written before aliases lack it, and are rewritten once
    /// ([`alias_file_names`]).
    #[serde(default)]
    pub files_aliased: bool,
    /// What the run found about the job's own state and acted on: a
    /// current snapshot that was not whole and was rebuilt, a clock set
    /// back, a new key. Each a sentence, naming no personal value.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl LedgerEntry {
    /// An entry with nothing but identity, times and status.
    pub fn new(run_id: &str, started_at: DateTime<Utc>, status: RunStatus, exit_code: u8) -> Self {
        LedgerEntry {
            run_id: run_id.to_string(),
            started_at,
            finished_at: Utc::now(),
            status,
            exit_code,
            tafteesh_version: env!("CARGO_PKG_VERSION").to_string(),
            config_fingerprint: None,
            inputs_fingerprint: None,
            snapshot: None,
            error: None,
            rows_read: 0,
            rows_kept: 0,
            rows_quarantined: 0,
            duplicates_removed: 0,
            inputs: vec![],
            inputs_total: 0,
            inputs_bytes: 0,
            counts: vec![],
            stages: vec![],
            warehouse_steps: vec![],
            linkage: None,
            recomputed: vec![],
            reused: vec![],
            files_aliased: true,
            notes: vec![],
        }
    }
}

impl LedgerEntry {
    /// Record the run's input files: all counted, the first few named.
    pub fn set_inputs(&mut self, inputs: impl IntoIterator<Item = LedgerInput>) {
        self.inputs.clear();
        self.inputs_total = 0;
        self.inputs_bytes = 0;
        for i in inputs {
            self.inputs_total += 1;
            self.inputs_bytes += i.bytes;
            if self.inputs.len() < INPUTS_NAMED {
                self.inputs.push(i);
            }
        }
    }

    /// Hold the line to its bounds: a line written before them (or an
    /// error message that grew with the inbox) is cut, its inputs counted.
    pub fn bound(&mut self) {
        if self.inputs.len() > self.inputs_total {
            self.inputs_total = self.inputs.len();
            self.inputs_bytes = self.inputs.iter().map(|i| i.bytes).sum();
        }
        self.inputs.truncate(INPUTS_NAMED);
        if let Some(e) = &mut self.error {
            *e = cut(e, ERROR_CHARS);
        }
    }

    /// The ledger line a published snapshot keeps of the run that built it
    /// (`ledger_entry.json`), without reading the whole ledger.
    pub fn of_snapshot(snapshot: &crate::layout::SnapshotDir) -> Option<LedgerEntry> {
        let bytes = std::fs::read(snapshot.ledger_entry()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Record a run or rollback that the lock refused (it changed nothing),
/// so a night with no snapshot still says why. Its own failure to write
/// is logged: the refusal is what the caller reports.
pub fn record_refused(layout: &Layout, run_id: &str, started_at: DateTime<Utc>, error: &Error) {
    let mut entry = LedgerEntry::new(run_id, started_at, RunStatus::Refused, error.exit() as u8);
    entry.error = Some(error.to_string());
    entry.snapshot = layout.current_id();
    if let Err(e) = append(layout, &entry) {
        tracing::error!("could not record the refused run in the ledger: {e}");
    }
}

/// Append one line, flushed to disk before returning.
pub fn append(layout: &Layout, entry: &LedgerEntry) -> Result<()> {
    let path = layout.ledger();
    let mut entry = entry.clone();
    entry.bound();
    let mut line = serde_json::to_vec(&entry).map_err(|e| Error::Internal(e.to_string()))?;
    line.push(b'\n');
    if !ends_with_newline(&path) {
        // A power cut tore the last line: start on a fresh one so this one is whole.
        line.insert(0, b'\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(Error::io(&path))?;
    f.write_all(&line).map_err(Error::io(&path))?;
    f.sync_data().map_err(Error::io(&path))
}

/// True when the file is missing, empty, or ends with a newline.
fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return true;
    };
    if f.seek(SeekFrom::End(-1)).is_err() {
        return true;
    }
    let mut last = [0u8; 1];
    f.read_exact(&mut last).is_err() || last[0] == b'\n'
}

/// Rewrite, once, the lines written before every file was named by its
/// alias: their inputs, and the file names in their error messages, by
/// their aliases. Those lines published real file names (the ledger is
/// loaded into every warehouse); after this, no line does. Lines already
/// aliased are recognised without being parsed; the file is replaced by
/// rename, so a crash leaves the old ledger or the new one whole.
pub fn alias_file_names(layout: &Layout, aliases: &FileAliases) -> Result<()> {
    let path = layout.ledger();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&path)(e)),
    };
    const MARK: &[u8] = b"\"files_aliased\":true";
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let stale = |l: &&[u8]| !l.is_empty() && !l.windows(MARK.len()).any(|w| w == MARK);
    if !lines.iter().any(stale) {
        return Ok(());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rewritten = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let entry = std::str::from_utf8(line)
            .ok()
            .filter(|_| stale(line))
            .and_then(|l| serde_json::from_str::<LedgerEntry>(l).ok());
        match entry {
            Some(mut e) => {
                alias_entry(&mut e, aliases);
                e.bound();
                serde_json::to_writer(&mut out, &e).map_err(|e| Error::Internal(e.to_string()))?;
                rewritten += 1;
            }
            None => out.extend_from_slice(line),
        }
        if i + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    if rewritten == 0 {
        // Only unreadable lines lack the mark: `read` skips them, and
        // rewriting the file would change nothing.
        return Ok(());
    }
    let tmp = path.with_extension("jsonl.aliasing");
    {
        let mut f = std::fs::File::create(&tmp).map_err(Error::io(&tmp))?;
        f.write_all(&out).map_err(Error::io(&tmp))?;
        f.sync_all().map_err(Error::io(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(Error::io(&path))?;
    tracing::info!(
        lines = rewritten,
        "ledger lines written before file aliases now name files by their aliases"
    );
    Ok(())
}

/// Name `e`'s files by their aliases: its inputs, and the files its error
/// message names (its inputs', the inbox's, and the files of a partial
/// run's list: "`<file>` (`<partner>`): why; ...").
fn alias_entry(e: &mut LedgerEntry, aliases: &FileAliases) {
    let mut old: Vec<(String, String)> = Vec::new();
    for i in &mut e.inputs {
        if !FileAliases::is_alias(&i.path) {
            let alias = aliases.of(&i.path);
            old.push((std::mem::replace(&mut i.path, alias.clone()), alias));
        }
    }
    old.sort_by_key(|a| std::cmp::Reverse(a.0.len()));
    if let Some(text) = &mut e.error {
        for (real, alias) in &old {
            *text = text.replace(real.as_str(), alias);
        }
        *text = aliases.redact(text);
        const LIST: &str = "could not be used, and the snapshot leaves them out: ";
        if let Some(at) = text.find(LIST) {
            let (head, list) = text.split_at(at + LIST.len());
            let items: Vec<String> = list
                .split("; ")
                .map(|item| match item.find("): ").and_then(|end| item[..end].rfind(" (")) {
                    Some(cut) if !FileAliases::is_alias(&item[..cut]) => {
                        format!("{}{}", aliases.of(&item[..cut]), &item[cut..])
                    }
                    _ => item.to_string(),
                })
                .collect();
            *text = format!("{head}{}", items.join("; "));
        }
    }
    e.files_aliased = true;
}

/// Every readable line, oldest first, each held to its bounds. A line
/// that cannot be read (a torn write from a power cut, bytes that are not
/// UTF-8, text that is not a ledger line) is skipped with a warning naming
/// its line number.
pub fn read(layout: &Layout) -> Result<Vec<LedgerEntry>> {
    let path = layout.ledger();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::io(&path)(e)),
    };
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(line).map(serde_json::from_str::<LedgerEntry>) {
            Ok(Ok(mut e)) => {
                e.bound();
                out.push(e)
            }
            Ok(Err(_)) => {
                tracing::warn!(file = %path.display(), line = i + 1, "ledger line not readable (torn or not a ledger line); skipped")
            }
            Err(_) => {
                tracing::warn!(file = %path.display(), line = i + 1, "ledger line not readable (not UTF-8); skipped")
            }
        }
    }
    Ok(out)
}

/// `text` cut to at most `max` characters, saying how much was cut.
fn cut(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept} ... ({} more characters)", total - max)
}

/// Load `entries` (held to their bounds, as [`read`] holds them) into the
/// warehouse as `run_ledger`, one row per run, with
/// its inputs, counts and stages as lists of structs. `scratch` is a file
/// path the loader may write and removes afterwards.
pub fn load_into(conn: &duckdb::Connection, entries: &[LedgerEntry], scratch: &Path) -> Result<()> {
    let mut text = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut text, e).map_err(|e| Error::Internal(e.to_string()))?;
        text.push(b'\n');
    }
    std::fs::write(scratch, &text).map_err(Error::io(scratch))?;
    let sql = format!(
        "create table run_ledger as select * from read_json({}, format = 'newline_delimited', maximum_object_size = 268435456, columns = {{
            run_id: 'VARCHAR', started_at: 'TIMESTAMP', finished_at: 'TIMESTAMP', status: 'VARCHAR',
            exit_code: 'UTINYINT', tafteesh_version: 'VARCHAR', config_fingerprint: 'VARCHAR',
            inputs_fingerprint: 'VARCHAR', snapshot: 'VARCHAR', error: 'VARCHAR',
            rows_read: 'BIGINT', rows_kept: 'BIGINT', rows_quarantined: 'BIGINT', duplicates_removed: 'BIGINT',
            inputs: 'STRUCT(path VARCHAR, partner_id VARCHAR, bytes BIGINT, modified TIMESTAMP, sha256 VARCHAR)[]',
            inputs_total: 'BIGINT', inputs_bytes: 'BIGINT',
            counts: 'STRUCT(partner_id VARCHAR, table_name VARCHAR, files BIGINT, rows_read BIGINT, duplicates BIGINT,
                quarantined BIGINT, kept BIGINT, warnings BIGINT, clean_records BIGINT)[]',
            stages: 'STRUCT(stage VARCHAR, seconds DOUBLE, peak_mib DOUBLE, \"rows\" BIGINT)[]',
            warehouse_steps: 'STRUCT(step VARCHAR, seconds DOUBLE, \"rows\" BIGINT)[]',
            linkage: 'STRUCT(model VARCHAR, reason VARCHAR, records BIGINT, pairs BIGINT, pairs_scored BIGINT,
                records_changed BIGINT)',
            recomputed: 'VARCHAR[]', reused: 'VARCHAR[]', notes: 'VARCHAR[]'
        }})",
        crate::warehouse::sql_string(&scratch.to_string_lossy())
    );
    // MIS accuracy per published run, partner and table, so its trend across runs shows.
    let history = format!(
        "create view {} as
        select run_id, started_at, c.partner_id, c.table_name,
               c.kept + c.quarantined as records, c.clean_records,
               round(100.0 * c.clean_records / nullif(c.kept + c.quarantined, 0), 1) as accuracy_pct
        from (select run_id, started_at, unnest(counts) as c from run_ledger where status = 'published')",
        crate::warehouse::ACCURACY_VIEW
    );
    let result = conn
        .execute_batch(&sql)
        .and_then(|_| conn.execute_batch(&history))
        .map_err(Error::warehouse("loading run_ledger"));
    let _ = std::fs::remove_file(scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let e = LedgerEntry::new("r1", Utc::now(), RunStatus::Published, 0);
        append(&layout, &e).unwrap();
        append(&layout, &LedgerEntry::new("r2", Utc::now(), RunStatus::Unchanged, 0)).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(layout.ledger()).unwrap();
        f.write_all(b"{\"run_id\":\"r3\",\"sta").unwrap();
        append(&layout, &LedgerEntry::new("r4", Utc::now(), RunStatus::Failed, 1)).unwrap();
        let read = read(&layout).unwrap();
        assert_eq!(
            read.iter().map(|e| e.run_id.as_str()).collect::<Vec<_>>(),
            ["r1", "r2", "r4"]
        );
        assert_eq!(read[1].status, RunStatus::Unchanged);
    }

    #[test]
    fn lines_written_before_aliases_are_rewritten_once_with_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let mut old = LedgerEntry::new("r1", Utc::now(), RunStatus::Published, 4);
        old.files_aliased = false;
        old.inputs.push(LedgerInput {
            path: "ngo/Rahima Khatun.csv".into(),
            partner_id: Some("ngo".into()),
            bytes: 1,
            modified: Utc::now(),
            sha256: "h".into(),
        });
        old.error = Some(
            "2 input file(s) could not be used, and the snapshot leaves them out: ngo/Rahima Khatun.csv (ngo): empty; \
             ngo/Sathi link.csv (ngo): a symbolic link"
                .into(),
        );
        append(&layout, &old).unwrap();
        append(&layout, &LedgerEntry::new("r2", Utc::now(), RunStatus::Unchanged, 0)).unwrap();
        let before_new = std::fs::read_to_string(layout.ledger()).unwrap();
        let aliases = FileAliases::default();
        alias_file_names(&layout, &aliases).unwrap();
        let text = std::fs::read_to_string(layout.ledger()).unwrap();
        assert!(!text.contains("Rahima") && !text.contains("Sathi"), "{text}");
        let lines = read(&layout).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.files_aliased));
        assert!(FileAliases::is_alias(&lines[0].inputs[0].path));
        let error = lines[0].error.as_deref().unwrap();
        assert!(
            error.contains("(ngo): empty; ") && error.contains("(ngo): a symbolic link"),
            "{error}"
        );
        // The line already aliased is kept byte for byte, and a second pass changes nothing.
        assert_eq!(text.lines().nth(1), before_new.lines().nth(1));
        alias_file_names(&layout, &aliases).unwrap();
        assert_eq!(std::fs::read_to_string(layout.ledger()).unwrap(), text);
    }
}
