//! Extract: read one partner export into a table of text cells, as its
//! pipeline source describes. The readers themselves live in
//! `crates/readers` (bounded against hostile files, and fuzzed there); this
//! module only turns a source's settings into theirs, and joins a repeat
//! group to its parent.
//!
//! KoboToolbox exports a form with a repeat group as a workbook: the main
//! sheet has one row per submission (a survivor), numbered in `_index`; the
//! repeat's sheet has one row per repetition (a case), naming its
//! submission's row in `_parent_index`. ODK Central does the same with CSV
//! files and `KEY` / `PARENT_KEY`. A case row needs its survivor's id, which
//! only the parent holds, so the parent's columns are joined onto each row
//! as `../<header>` (XPath's way of naming the parent, as form authors
//! write it). A row whose parent is missing is kept with blank parent
//! cells and listed in `orphan_rows`, for the cleaner to quarantine.

use std::collections::HashMap;
use std::path::Path;

pub use tafteesh_readers::{FileError, RawTable};

use crate::config::pipeline::{PARENT_PREFIX, Parent, Source};

/// Read one file as the source describes, with its parent's columns when
/// the source is a repeat group.
pub fn read(path: &Path, source: &Source, limits: &crate::config::Limits) -> Result<RawTable, FileError> {
    let options = || tafteesh_readers::ReadOptions {
        max_bytes: Some(limits.max_file_bytes()),
        max_cells: Some(limits.max_sheet_cells),
        ..source.read_options()
    };
    let mut table = tafteesh_readers::read(path, &options())?;
    if let Some(p) = &source.parent {
        let mut opts = options();
        opts.header_row = p.header_row;
        let (parent_path, what) = match (&p.sheet, &p.file) {
            (Some(sheet), _) => {
                opts.sheet = Some(sheet.clone());
                (path.to_path_buf(), format!("sheet `{sheet}`"))
            }
            (None, Some(file)) => (path.with_file_name(file), format!("file `{file}`")),
            (None, None) => unreachable!("checked with the config"),
        };
        let parent = tafteesh_readers::read(&parent_path, &opts).map_err(|e| FileError::Parent {
            parent: what.clone(),
            why: e.to_string(),
        })?;
        join_parent(&mut table, &parent, p).map_err(|why| FileError::Parent { parent: what, why })?;
    }
    Ok(table)
}

/// Join `parent`'s columns onto `child` as `../<header>`, by `p.reference`
/// in the child and `p.index` in the parent.
fn join_parent(child: &mut RawTable, parent: &RawTable, p: &Parent) -> Result<(), String> {
    let reference = child
        .column_index(&p.reference)
        .ok_or_else(|| format!("this sheet has no column `{}` naming its parent's row", p.reference))?;
    let index = parent
        .column_index(&p.index)
        .ok_or_else(|| format!("it has no column `{}` identifying its rows", p.index))?;
    let mut by_index: HashMap<&str, usize> = HashMap::with_capacity(parent.len());
    for (r, id) in parent.columns[index].iter().enumerate() {
        if id.is_empty() {
            continue;
        }
        if let Some(first) = by_index.insert(id.as_str(), r) {
            return Err(format!(
                "its rows {} and {} have the same `{}`",
                parent.rows[first], parent.rows[r], p.index
            ));
        }
    }
    let parent_of: Vec<Option<usize>> = child.columns[reference]
        .iter()
        .map(|id| by_index.get(id.as_str()).copied())
        .collect();
    child.orphan_rows = parent_of
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_none())
        .map(|(r, _)| r)
        .collect();
    for (h, cells) in parent.headers.iter().zip(&parent.columns) {
        child.headers.push(format!("{PARENT_PREFIX}{h}"));
        child.columns.push(
            parent_of
                .iter()
                .map(|p| p.map(|r| cells[r].clone()).unwrap_or_default())
                .collect(),
        );
    }
    Ok(())
}

/// A table of text cells for unit tests: `rows` under `headers`, the
/// header on line 1.
#[cfg(test)]
pub(crate) fn test_table(headers: &[&str], rows: &[&[&str]]) -> RawTable {
    RawTable {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        columns: (0..headers.len())
            .map(|c| rows.iter().map(|r| r[c].to_string()).collect())
            .collect(),
        rows: (2..2 + rows.len() as u32).collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::test_table as table;
    use super::*;

    fn kobo() -> Parent {
        Parent {
            sheet: Some("form".into()),
            file: None,
            header_row: 1,
            index: "_index".into(),
            reference: "_parent_index".into(),
        }
    }

    #[test]
    fn each_repeat_row_reads_its_parents_columns_and_an_orphan_is_listed() {
        let parent = table(&["Survivor ID", "_index"], &[&["S-1", "1"], &["S-2", "2"]]);
        let mut child = table(
            &["FIR No", "_parent_index"],
            &[&["12/21", "2"], &["7/20", "1"], &["3/22", "2"], &["9/19", "9"]],
        );
        join_parent(&mut child, &parent, &kobo()).unwrap();
        let sid = child.column_index("../Survivor ID").unwrap();
        assert_eq!(child.columns[sid], ["S-2", "S-1", "S-2", ""]);
        assert_eq!(child.orphan_rows, [3]);
        assert!(child.column_index("../_index").is_some());
    }

    #[test]
    fn a_parent_without_its_index_or_with_a_repeated_one_is_an_error() {
        let mut child = table(&["_parent_index"], &[&["1"]]);
        let no_index = table(&["Survivor ID"], &[&["S-1"]]);
        let e = join_parent(&mut child, &no_index, &kobo()).unwrap_err();
        assert!(e.contains("no column `_index`"), "{e}");
        let twice = table(&["_index"], &[&["1"], &["1"]]);
        let e = join_parent(&mut child, &twice, &kobo()).unwrap_err();
        assert!(e.contains("rows 2 and 3 have the same `_index`"), "{e}");
        let mut no_ref = table(&["FIR No"], &[&["1"]]);
        let e = join_parent(&mut no_ref, &twice, &kobo()).unwrap_err();
        assert!(e.contains("no column `_parent_index`"), "{e}");
    }
}
