//! The readers against small hand-made files, one quirk each.

use super::*;
use crate::workbook::sheet_list;

#[test]
fn bom_crlf_and_semicolons() {
    let (text, _) = decode(b"\xEF\xBB\xBFid;name\r\n1;a\r\n\r\n2;b\r\n", Encoding::Auto).unwrap();
    let t = read_csv(&text, b';', 1).unwrap();
    assert_eq!(t.headers, ["id", "name"]);
    assert_eq!(t.columns[1], ["a", "b"]);
    assert_eq!(t.rows, [2, 4], "row numbers are lines, blank lines included");
    let t = read_csv("id;name\n1;a\n;\n2;b\n", b';', 1).unwrap();
    assert_eq!(t.blank_rows, 1, "a row of empty cells is counted as blank");
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let t = read_csv("Partner register\n\nid,x\n1,2\n", b',', 3).unwrap();
    assert_eq!(t.headers, ["id", "x"]);
    assert_eq!(t.rows, [4]);
}

#[test]
fn encodings() {
    let (s, note) = decode(b"a,b\n\x96,\xe9\n", Encoding::Auto).unwrap();
    assert_eq!(s, "a,b\n\u{2013},\u{e9}\n");
    assert!(note.is_some());
    assert!(matches!(
        decode(b"a\n\xff", Encoding::Utf8),
        Err(FileError::Encoding { .. })
    ));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("a\tb\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    assert_eq!(decode(&utf16, Encoding::Auto).unwrap().0, "a\tb\n");
    assert!(matches!(
        decode(b"PK\x03\x04rest", Encoding::Auto),
        Err(FileError::Binary(_))
    ));
    assert_eq!(decode(b"  \n", Encoding::Auto), Err(FileError::Empty));
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let bom = if bom { vec![0xFF, 0xFE] } else { vec![] };
    bom.into_iter()
        .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect()
}

#[test]
fn utf16_without_a_byte_order_mark_is_recognised() {
    let text = "ID\tনাম\tDistrict\n1\tরহিমা\tনদিয়া\n";
    let (s, note) = decode(&utf16le(text, false), Encoding::Auto).unwrap();
    assert_eq!(s, text);
    assert!(note.unwrap().contains("UTF-16LE"));
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    assert_eq!(decode(&be, Encoding::Auto).unwrap().0, text);
    assert_eq!(
        decode(&utf16le(text, false), Encoding::Utf16).unwrap(),
        (text.to_string(), None)
    );
}

#[test]
fn a_declared_encoding_the_bytes_contradict_stops_the_file() {
    let declared = |bytes: &[u8], enc| match decode(bytes, enc) {
        Err(FileError::DeclaredEncoding { declared, found }) => Some((declared, found)),
        _ => None,
    };
    let utf16 = utf16le("a,b\n1,2\n", true);
    assert_eq!(declared(&utf16, Encoding::Utf8).unwrap().0, "utf-8");
    assert!(
        declared(&utf16, Encoding::Windows1252)
            .unwrap()
            .1
            .contains("byte-order mark")
    );
    assert!(declared(&utf16le("a,b\n1,2\n", false), Encoding::Utf8).is_some());
    let bengali = "a,b\n1,নদিয়া\n".as_bytes();
    assert!(declared(bengali, Encoding::Windows1252).unwrap().1.starts_with("UTF-8"));
    assert!(declared(b"\xEF\xBB\xBFa,b\n", Encoding::Windows1252).is_some());
    assert!(
        declared(b"a,b\n1,2\n", Encoding::Utf16)
            .unwrap()
            .1
            .starts_with("not UTF-16")
    );
    // Plain ASCII fits every 8-bit declaration, and 1252 bytes fit theirs.
    assert!(decode(b"a,b\n1,2\n", Encoding::Windows1252).is_ok());
    assert!(decode(b"a,b\n1,\xe9\n", Encoding::Windows1252).is_ok());
    // The message names the setting, never the bytes.
    let msg = decode(&utf16, Encoding::Utf8).unwrap_err().to_string();
    assert!(
        msg.contains("`encoding = \"utf-8\"`") && msg.contains("UTF-16"),
        "{msg}"
    );
}

#[test]
fn an_undeclared_delimiter_is_read_from_the_header_row() {
    assert_eq!(sniff_delimiter("id;name;\"a,b\"\n1;x;y\n", 1), b';');
    assert_eq!(sniff_delimiter("id\tname\tdistrict\n", 1), b'\t');
    assert_eq!(sniff_delimiter("Title, with a comma\nid;name\n", 2), b';');
    assert_eq!(
        sniff_delimiter("\"a;b\",c\n", 1),
        b',',
        "quoted semicolons do not count"
    );
    assert_eq!(sniff_delimiter("id\n1\n", 1), b',');
    assert_eq!(sniff_delimiter("", 1), b',');
}

#[test]
fn cells_are_trimmed_once_when_read() {
    let t = read_csv("a,b\n  x ,\u{a0}\n\u{a0}, \n", b',', 1).unwrap();
    assert_eq!(t.columns[0], ["x"]);
    assert_eq!(t.columns[1], [""]);
    assert_eq!(t.blank_rows, 1, "a row of only spaces is blank");
}

#[test]
fn duplicate_and_blank_headers_are_renamed_and_ragged_rows_marked() {
    let t = read_csv("a,a,\n1,2,3,4\n", b',', 1).unwrap();
    assert_eq!(t.headers, ["a", "a (2)", "column 3"]);
    assert_eq!(t.ragged_rows, [0]);
}

#[test]
fn a_repeated_header_is_named_by_position_never_by_its_text() {
    // An export saved without its header: a record is the header.
    let t = read_csv("F-1,Rahima Khatun,Rahima Khatun,9876543210\nF-2,x,y,z\n", b',', 1).unwrap();
    assert_eq!(t.notes.len(), 1);
    assert!(t.notes[0].contains("column 3 repeats column 2"), "{:?}", t.notes);
    assert!(!t.notes[0].contains("Rahima"), "{:?}", t.notes);
}

#[test]
fn rows_with_fewer_cells_than_the_header_are_ragged_too() {
    let t = read_csv("a,b,c\n1,2,3\n1,2\n1,2,3,\n", b',', 1).unwrap();
    assert_eq!(t.ragged_rows, [1], "a trailing empty cell is no extra cell");
    assert!(t.notes.iter().any(|n| n.contains("line 3")), "{:?}", t.notes);
}

#[test]
fn lone_carriage_returns_end_lines_and_number_rows() {
    let t = read_csv("id,name\r1,a\r2,b\r\r3,\"two\rlines\"\r4,d", b',', 1).unwrap();
    assert_eq!(t.columns[0], ["1", "2", "3", "4"]);
    assert_eq!(t.rows, [2, 3, 5, 7]);
    assert_eq!(t.cut_short, None, "a last line without its break is whole");
}

#[test]
fn a_quote_left_open_stops_the_file_naming_its_line() {
    assert_eq!(
        read_csv("id,name,phone\n1,\"Rahima,98765\n2,b,c\n", b',', 1).unwrap_err(),
        FileError::QuoteNeverCloses { line: 2 }
    );
    // Closed by the next quoted cell, after swallowing whole rows.
    let text = "id,name,phone,sex\n1,\"Rahima,98765,F\n2,b,c,F\n3,\"q\",c,F\n";
    assert_eq!(
        read_csv(text, b',', 1).unwrap_err(),
        FileError::QuoteSwallowsRows { line: 2, until: 4 }
    );
    // A real multi-line cell (an address) is fine.
    let t = read_csv("id,address,phone,sex\n1,\"12 Station Rd,\nBasirhat\",9,F\n", b',', 1).unwrap();
    assert_eq!(t.columns[1], ["12 Station Rd,\nBasirhat"]);
    // A doubled quote inside a quoted cell is a quote.
    assert!(read_csv("a,b\n\"say \"\"hi\"\"\",2\n", b',', 1).is_ok());
    // A quote inside an unquoted cell is a character.
    assert!(read_csv("a,b\n5'2\" tall,2\n", b',', 1).is_ok());
}

#[test]
fn a_file_that_ends_inside_a_row_is_cut_short() {
    let t = read_csv("a,b,c\n1,2,3\n4,5", b',', 1).unwrap();
    assert_eq!(t.cut_short, Some(3));
    assert_eq!(t.ragged_rows, [1]);
    let t = read_csv("a,b,c\n1,2,3\n4,5\n", b',', 1).unwrap();
    assert_eq!(t.cut_short, None, "a short row with its line break is ragged, not cut");
}

#[test]
fn sizes_are_bounded_before_they_are_allocated() {
    let wide = vec!["9876543210"; MAX_COLUMNS + 1].join(",");
    assert!(matches!(
        read_csv(&wide, b',', 1),
        Err(FileError::TooWide { columns, .. }) if columns == MAX_COLUMNS + 1
    ));
    let long = format!("a,b\n1,{}\n", "x".repeat(MAX_RECORD_BYTES + 1));
    assert!(matches!(
        read_csv(&long, b',', 1),
        Err(FileError::RowTooLong { row: 2, .. })
    ));
}

fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for &(r, c, v) in cells {
        ws.write_string(r, c, v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn xlsx_opts() -> ReadOptions {
    ReadOptions {
        format: Some(Format::Xlsx),
        header_row: 1,
        ..Default::default()
    }
}

#[test]
fn a_file_larger_than_the_limit_is_refused_unread() {
    let dir = std::env::temp_dir().join(format!("tafteesh-readers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.csv");
    std::fs::write(&path, "id,name\n1,a\n").unwrap();
    let opts = |max| ReadOptions {
        max_bytes: Some(max),
        ..Default::default()
    };
    assert!(read(&path, &opts(1 << 20)).is_ok());
    assert_eq!(
        read(&path, &opts(8)).unwrap_err(),
        FileError::TooLarge { bytes: 12, max: 8 }
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_value_in_the_last_cell_of_a_sheet_is_read_without_the_sheet_in_memory() {
    let bytes = xlsx(&[
        (0, 0, "id"),
        (0, 1, "name"),
        (1, 0, "1"),
        (1, 1, "a"),
        (3, 0, "2"),
        (1_048_575, 16_383, "stray"),
    ]);
    let t = read_bytes(&bytes, &xlsx_opts()).unwrap();
    assert_eq!(t.headers, ["id", "name"]);
    assert_eq!(t.rows, [2, 4, 1_048_576]);
    assert_eq!(t.ragged_rows, [2], "the stray value is right of the last header");
    assert_eq!(t.blank_rows, 1 + (1_048_575 - 4));
}

/// A workbook whose first sheet's XML is rewritten by `edit`.
fn rewritten_xlsx(edit: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let original = xlsx(&[(0, 0, "id"), (0, 1, "name"), (1, 0, "1"), (1, 1, "a")]);
    let mut from = zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let mut f = from.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut text = Vec::new();
        f.read_to_end(&mut text).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            text = edit(&String::from_utf8(text).unwrap()).into_bytes();
        }
        to.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        to.write_all(&text).unwrap();
    }
    to.finish().unwrap().into_inner()
}

#[test]
fn a_cell_reference_outside_the_grid_is_a_malformed_workbook() {
    // Found by the xlsx_reader fuzz target: many column letters
    // overflow calamine's arithmetic (a panic with overflow checks on,
    // a wrapped column without them, and a header of billions of cells).
    let bytes = rewritten_xlsx(|xml| xml.replace("r=\"B2\"", "r=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA2\""));
    assert!(matches!(read_bytes(&bytes, &xlsx_opts()), Err(FileError::Workbook(_))));
    let bytes = rewritten_xlsx(|xml| xml.replace("r=\"B2\"", "r=\"B4294967295\""));
    assert!(matches!(read_bytes(&bytes, &xlsx_opts()), Err(FileError::Workbook(_))));
    // The same workbook, untouched, reads.
    assert_eq!(
        read_bytes(&rewritten_xlsx(str::to_string), &xlsx_opts()).unwrap().rows,
        [2]
    );
}

#[test]
fn a_missing_sheet_names_only_default_sheet_names() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(sheet_list(&names(&["Sheet1", "Sheet 2"])), "Sheet1, Sheet 2");
    let msg = sheet_list(&names(&["Sheet1", "Rahima Khatun"]));
    assert!(
        msg.starts_with("Sheet1 and 1 other") && !msg.contains("Rahima"),
        "{msg}"
    );
    assert!(sheet_list(&names(&["Rahima"])).starts_with("1 sheet(s), not named"));
}

#[test]
fn a_sheet_starting_right_of_column_a_keeps_its_columns() {
    let bytes = xlsx(&[(2, 1, "id"), (2, 3, "name"), (3, 1, "1"), (3, 3, "a")]);
    let t = read_bytes(&bytes, &xlsx_opts()).unwrap();
    assert_eq!(t.headers, ["id", "column 2", "name"]);
    assert_eq!(t.columns[2], ["a"]);
    assert_eq!(t.rows, [4]);
}

/// An OpenDocument spreadsheet whose one sheet holds `rows` (the XML of
/// its `table:table-row` elements).
fn ods(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    to.start_file("mimetype", stored).unwrap();
    to.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    to.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    write!(
        to,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Register"><table:table-column table:number-columns-repeated="3"/>{rows}</table:table><table:table table:name="Notes"><table:table-row><table:table-cell office:value-type="string"><text:p>other sheet</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    to.finish().unwrap().into_inner()
}

fn cell(text: &str) -> String {
    format!(r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#)
}

#[test]
fn an_ods_sheet_is_read_cell_by_cell_with_its_values_as_a_spreadsheet_shows_them() {
    let rows = format!(
        "<table:table-row>{}{}{}</table:table-row>\
         <table:table-row>{}<table:table-cell office:value-type=\"float\" office:value=\"3\"><text:p>3.00</text:p></table:table-cell>\
         <table:table-cell office:value-type=\"date\" office:date-value=\"2021-03-05\"><text:p>05/03/21</text:p></table:table-cell></table:table-row>\
         <table:table-row table:number-rows-repeated=\"2\"><table:table-cell table:number-columns-repeated=\"3\"/></table:table-row>\
         <table:table-row><table:table-cell office:value-type=\"string\"><text:p>two<text:s text:c=\"2\"/>words &amp; more</text:p><text:p>line</text:p></table:table-cell>\
         <table:table-cell/><table:table-cell office:value-type=\"boolean\" office:boolean-value=\"true\"/></table:table-row>\
         <table:table-row table:number-rows-repeated=\"1048570\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>",
        cell("id"),
        cell("amount"),
        cell("date"),
        cell("F-1"),
    );
    let bytes = ods(&rows);
    assert_eq!(sheet_names(&bytes).unwrap(), ["Register", "Notes"]);
    let t = read_bytes(&bytes, &xlsx_opts()).unwrap();
    assert_eq!(t.headers, ["id", "amount", "date"]);
    assert_eq!(t.columns[0], ["F-1", "two  words & more\nline"]);
    assert_eq!(t.columns[1], ["3", ""]);
    assert_eq!(t.columns[2], ["2021-03-05", "true"]);
    assert_eq!(t.rows, [2, 5]);
    assert_eq!(t.blank_rows, 2);
    let other = ReadOptions {
        sheet: Some("notes".into()),
        ..xlsx_opts()
    };
    assert_eq!(read_bytes(&bytes, &other).unwrap().headers, ["other sheet"]);
}

#[test]
fn an_ods_of_repeated_cells_is_refused_before_they_are_expanded() {
    // The 823-byte bomb: one filled row repeated, each cell repeated across the grid.
    let header = format!(
        r#"<table:table-row>{}</table:table-row>"#,
        cell("x").replace(
            "<table:table-cell ",
            "<table:table-cell table:number-columns-repeated=\"16384\" ",
        )
    );
    let bomb = format!(
        r#"{header}<table:table-row table:number-rows-repeated="100000"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#
    );
    let bytes = ods(&bomb);
    assert!(bytes.len() < 2_000, "{}", bytes.len());
    let started = std::time::Instant::now();
    assert!(matches!(
        read_bytes(&bytes, &xlsx_opts()),
        Err(FileError::TooManyCells { .. })
    ));
    assert!(started.elapsed().as_secs() < 5, "refused before it was expanded");
    // Under a narrow header, the wide rows stop the file at the first one.
    let narrow = format!(
        r#"<table:table-row>{}{}</table:table-row><table:table-row table:number-rows-repeated="300"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        cell("id"),
        cell("name")
    );
    assert!(matches!(
        read_bytes(&ods(&narrow), &xlsx_opts()),
        Err(FileError::RowTooWide { row: 2, columns: 2, .. })
    ));
}

#[test]
fn an_xlsx_row_far_wider_than_its_header_stops_the_file_and_a_few_stray_cells_make_it_ragged() {
    let mut cells: Vec<(u32, u16, String)> = vec![(0, 0, "id".into()), (0, 1, "name".into())];
    cells.extend((0..3).map(|c| (1, 5 + c, "stray".to_string())));
    cells.push((1, 0, "1".into()));
    let as_refs: Vec<(u32, u16, &str)> = cells.iter().map(|(r, c, v)| (*r, *c, v.as_str())).collect();
    let t = read_bytes(&xlsx(&as_refs), &xlsx_opts()).unwrap();
    assert_eq!(t.ragged_rows, [0]);
    let mut wide: Vec<(u32, u16, String)> = vec![(0, 0, "id".into()), (0, 1, "name".into())];
    wide.extend((0..2_000).map(|c| (1, 2 + c, "x".to_string())));
    let as_refs: Vec<(u32, u16, &str)> = wide.iter().map(|(r, c, v)| (*r, *c, v.as_str())).collect();
    assert!(matches!(
        read_bytes(&xlsx(&as_refs), &xlsx_opts()),
        Err(FileError::RowTooWide { row: 2, columns: 2, .. })
    ));
}

fn xls_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn an_xls_is_sized_before_calamine_reads_it() {
    // Written by xlwt (BIFF8): a register of two rows.
    let small = xls_fixture("small_register.xls");
    assert_eq!(crate::xls::cells_to_expand(&small).unwrap(), 9);
    let t = read_bytes(&small, &xlsx_opts()).unwrap();
    assert_eq!(t.headers, ["ID", "Name", "District"]);
    assert_eq!(t.columns[2], ["Malda", "7"]);
    // Ten sheets of two cells at opposite corners: 10 KB that calamine
    // would lay out as 167 million cells.
    let bomb = xls_fixture("cells_at_opposite_corners_of_ten_sheets.xls");
    assert_eq!(crate::xls::cells_to_expand(&bomb).unwrap(), 10 * 65_536 * 256);
    let started = std::time::Instant::now();
    assert!(matches!(
        read_bytes(&bomb, &xlsx_opts()),
        Err(FileError::WorkbookTooLarge { .. })
    ));
    assert!(matches!(sheet_names(&bomb), Err(FileError::WorkbookTooLarge { .. })));
    assert!(started.elapsed().as_secs() < 5);
    // Cut short, it is malformed, not a panic.
    assert!(matches!(
        crate::xls::cells_to_expand(&small[..1000]),
        Err(FileError::Workbook(_))
    ));
}
