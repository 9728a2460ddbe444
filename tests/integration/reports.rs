//! The reports of the demo run: nothing published singles anyone out
//! (primary and complementary suppression hold in the warehouse and in the
//! CSV), the workbook reads back with a real XLSX reader and holds the
//! warehouse's numbers as numbers and dates as dates, the dashboard opens
//! in headless Chromium without console errors, the indicator history grows
//! with each published run, and the structure of the reports matches its
//! snapshot (volatile values redacted).

use std::path::Path;

use calamine::{Data, Reader};

use crate::demo_truth::demo;
use crate::util::{Workdir, query_text, read_csv};

const K: f64 = 5.0;

fn count(conn: &duckdb::Connection, sql: &str) -> i64 {
    let (_, rows) = query_text(conn, sql);
    rows[0][0].as_deref().unwrap().parse().unwrap()
}

fn cell(range: &calamine::Range<Data>, row: usize, col: usize) -> Data {
    range.get((row, col)).cloned().unwrap_or(Data::Empty)
}

#[test]
fn the_history_keeps_each_published_run_and_the_dashboard_draws_it() {
    let w = Workdir::new();
    let ran = w.run(&["demo", "--dir", "d", "--survivors", "300", "--seed", "4"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let again = w.run(&["run", "--config", "d/config", "--force"]);
    assert!([0, 3].contains(&again.code), "{}", again.all());
    let out = w.path().join("d/output");
    let files: Vec<_> = std::fs::read_dir(out.join("history/indicator_values"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 2, "one history file per published run");
    let conn = tafteesh::warehouse::open(&out.join("current/research/warehouse/tafteesh.duckdb")).unwrap();
    assert_eq!(count(&conn, "select count(distinct run_id) from indicator_history"), 2);
    assert_eq!(
        count(
            &conn,
            "select count(*) from indicator_history where as_of is null or run_at is null"
        ),
        0
    );
    // Both runs read the same exports: every figure is the same in both.
    assert_eq!(
        count(
            &conn,
            "select count(*) from (
                select indicator_id, period, dimension, dimension_value, value from indicator_history
                group by all having count(*) <> 2)"
        ),
        0
    );
    let html = std::fs::read_to_string(out.join("current/reports/index.html")).unwrap();
    assert!(html.contains("all time, by run"), "the trend across runs is drawn");
    // A run killed after publishing, before its history file was written:
    // the next run, even one with nothing to rebuild, writes it.
    let current = std::fs::read_link(out.join("current")).unwrap();
    let id = current.file_name().unwrap().to_string_lossy().into_owned();
    let file = out.join(format!("history/indicator_values/{id}.parquet"));
    std::fs::remove_file(&file).unwrap();
    let noop = w.run(&["run", "--config", "d/config"]);
    assert!([0, 3].contains(&noop.code), "{}", noop.all());
    assert!(file.is_file(), "the history file of {id} is restored");
}

/// The text of every `<tag ...>text</tag>` in order (`open` may carry
/// attributes: `span class="card-title"`).
fn elements<'a>(html: &'a str, open: &str) -> Vec<(usize, &'a str)> {
    let tag = open.split(' ').next().unwrap_or(open);
    let close = format!("</{tag}>");
    let open = format!("<{open}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = html[at..].find(open.as_str()) {
        let start = at + i;
        let Some(gt) = html[start..].find('>') else { break };
        let body = start + gt + 1;
        let Some(end) = html[body..].find(close.as_str()) else {
            break;
        };
        out.push((start, &html[body..body + end]));
        at = body + end;
    }
    out
}

/// Digits redacted, and whether the latest year is still running (that
/// depends on the day the test runs): the structure, not the figures.
fn redact(s: &str) -> String {
    s.replace(" (to date)", "")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Tests on the demo of 3,000 survivors. Slow: `cargo test --release -- --skip ::slow::` leaves these out (see README).
mod slow {
    use super::*;

    #[test]
    fn no_published_figure_is_a_small_cell_or_recoverable_from_a_total() {
        let d = demo();
        let conn = d.conn();
        // Primary: every figure built from 1 to k-1 is hidden, and some are.
        assert_eq!(
            count(
                &conn,
                "select count(*) from indicator_values where cell_size > 0 and cell_size < 5 and not suppressed"
            ),
            0
        );
        assert!(
            count(
                &conn,
                "select count(*) from indicator_values where suppression_reason = 'small_cell'"
            ) > 0
        );
        assert!(
            count(
                &conn,
                "select count(*) from indicator_values where suppression_reason = 'complementary'"
            ) > 0
        );
        // Complementary: no group whose total is shown has exactly one hidden
        // non-zero part (checked here independently of src/suppress.rs).
        let lone = |sql: &str| {
            count(
                &conn,
                &format!(
                    "select count(*) from ({sql} having count(*) filter (where p.suppressed and p.cell_size > 0) = 1)"
                ),
            )
        };
        assert_eq!(
            lone(
                "select p.indicator_id, p.period, p.dimension from indicator_values p
                 join indicator_values t on t.indicator_id = p.indicator_id and t.period = p.period
                     and t.dimension = 'consortium' and not t.suppressed
                 where p.dimension not in ('consortium', 'partner') and p.unit <> 'days' group by all"
            ),
            0,
            "a breakdown against the consortium total"
        );
        assert_eq!(
            lone(
                "select p.indicator_id, p.period from indicator_values p
                 join indicator_values t on t.indicator_id = p.indicator_id and t.period = p.period
                     and t.dimension = 'consortium' and not t.naive_suppressed and t.naive_cell_size is not null
                 where p.dimension = 'partner' and p.unit <> 'days' group by all"
            ),
            0,
            "partners against their sum"
        );
        assert_eq!(
            lone(
                "select p.indicator_id, p.dimension, p.dimension_value, t.period from indicator_values p
                 join indicator_values t on t.indicator_id = p.indicator_id and t.dimension = p.dimension
                     and t.dimension_value = p.dimension_value and p.period like t.period || ' Q%' and not t.suppressed
                 where p.unit <> 'days' group by all"
            ),
            0,
            "quarters against their year"
        );
        // The published view and the CSV carry no hidden value.
        assert_eq!(
            count(
                &conn,
                "select count(*) from indicator_values_published
                 where suppressed and (value is not null or numerator is not null or denominator is not null or cell_size is not null)"
            ),
            0
        );
        let csv = read_csv(&d.dir().join("output/current/reports/indicators.csv"));
        assert!(csv.len() > 1000, "{}", csv.len());
        for r in &csv {
            let size: f64 = r["cell_size"].parse().unwrap_or(0.0);
            if r["suppressed"] == "true" {
                assert!(
                    r["value"].is_empty() && r["numerator"].is_empty() && r["cell_size"].is_empty(),
                    "{r:?}"
                );
                if r["unit"] == "count" && r["suppression_reason"] == "small_cell" {
                    assert_eq!(r["shown_as"], "<5");
                }
            } else {
                assert!(size == 0.0 || size >= K, "{r:?}");
            }
        }
    }

    #[test]
    fn the_workbook_reads_back_with_the_warehouse_numbers() {
        let d = demo();
        let path = d.dir().join("output/current/reports/tafteesh-indicators.xlsx");
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let names = wb.sheet_names();
        let year_sheet = names[2].clone();
        assert!(year_sheet.starts_with("Indicators FY "), "{names:?}");
        assert_eq!(
            names,
            [
                "Indicators",
                "Breakdowns",
                &year_sheet,
                "Data quality",
                "Fields to fix",
                "Unknown places",
                "Pending by block",
                "Definitions",
                "Exports"
            ]
        );
        // The block sheet: every count of the mart, a small one as "<5",
        // and a block's total only when none of its counts is hidden.
        let blocks = wb.worksheet_range("Pending by block").unwrap();
        let (_, mart) = query_text(
            &d.conn(),
            "select block, sum(pending_over_90_days), count(*), count(*) filter (where pending_over_90_days < 5)
             from fct_pending_entitlements_by_block group by block",
        );
        assert!(mart.len() >= 10, "{mart:?}");
        for m in &mart {
            let block = m[0].clone().unwrap();
            let rows: Vec<usize> = (1..blocks.height())
                .filter(|&r| cell(&blocks, r, 1).to_string() == block)
                .collect();
            let n: usize = m[2].clone().unwrap().parse().unwrap();
            assert_eq!(rows.len(), n + 1, "{block}: its rows and its total");
            let hidden = (0..n).filter(|&i| cell(&blocks, rows[i], 5) == "<5").count();
            assert_eq!(hidden.to_string(), m[3].clone().unwrap(), "{block}");
            let total = cell(&blocks, rows[n], 5).to_string();
            if hidden == 0 {
                let want: f64 = m[1].clone().unwrap().parse().unwrap();
                assert_eq!(total.parse::<f64>().ok(), Some(want), "{block}");
            } else {
                assert_eq!(total, "suppressed", "{block}");
            }
        }
        let ind = wb.worksheet_range("Indicators").unwrap();
        let headers: Vec<String> = (0..ind.width()).map(|c| cell(&ind, 0, c).to_string()).collect();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let conn = d.conn();
        let (_, want) = query_text(
            &conn,
            "select i.title, v.value, v.numerator, v.denominator from indicator_values_published v join indicators i using (indicator_id)
             where v.dimension = 'consortium' and v.period = 'All time' and not v.suppressed order by 1",
        );
        assert!(want.len() >= 20, "{}", want.len());
        let mut checked = 0;
        for w in &want {
            let title = w[0].clone().unwrap();
            let row = (1..ind.height())
                .find(|&r| {
                    cell(&ind, r, col("Indicator")).to_string() == title
                        && cell(&ind, r, col("Period")) == "All time"
                        && cell(&ind, r, col("Breakdown")) == "consortium"
                })
                .unwrap_or_else(|| panic!("{title}: no consortium All time row"));
            for (i, name) in [(1, "Value"), (2, "Numerator"), (3, "Denominator")] {
                match (&w[i], cell(&ind, row, col(name))) {
                    (Some(v), Data::Float(got)) => {
                        let v: f64 = v.parse().unwrap();
                        assert!((v - got).abs() < 1e-6, "{title} {name}: {v} vs {got}");
                        checked += 1;
                    }
                    (None, Data::Empty) => {}
                    (w, got) => panic!("{title} {name}: {w:?} vs {got:?}"),
                }
            }
        }
        assert!(checked >= 40, "{checked}");
        // Dates are dates; a hidden figure is text, never a number.
        let mut dates = 0;
        let mut hidden = 0;
        for r in 1..ind.height() {
            if matches!(cell(&ind, r, col("Period start")), Data::DateTime(_)) {
                dates += 1;
            }
            let shown = cell(&ind, r, col("Shown as")).to_string();
            if shown == "<5" || shown == "suppressed" {
                hidden += 1;
                assert_eq!(cell(&ind, r, col("Value")), Data::Empty, "row {r}");
            }
        }
        assert!(dates > 100 && hidden > 10, "{dates} dates, {hidden} hidden");
        let dq = wb.worksheet_range("Data quality").unwrap();
        assert!(
            matches!(cell(&dq, 1, 2), Data::Float(_)),
            "records are numbers: {:?}",
            cell(&dq, 1, 2)
        );
        // The dashboard's order, and a column telling years from quarters.
        let project = tafteesh::warehouse::Project::load().unwrap();
        let order: Vec<String> = project.indicators().map(|i| i.title.clone()).collect();
        let mut seen: Vec<String> = Vec::new();
        let mut kinds = std::collections::BTreeSet::new();
        for r in 1..ind.height() {
            let title = cell(&ind, r, col("Indicator")).to_string();
            if seen.last() != Some(&title) {
                assert!(!seen.contains(&title), "{title} comes back after another indicator");
                seen.push(title);
            }
            kinds.insert(cell(&ind, r, col("Period type")).to_string());
        }
        let shown: Vec<&String> = order.iter().filter(|t| seen.contains(t)).collect();
        assert_eq!(seen.iter().collect::<Vec<_>>(), shown, "the dashboard's order");
        for k in ["All time", "Financial year", "Quarter"] {
            assert!(kinds.contains(k), "{kinds:?}");
        }
        // The latest complete year alone: its own rows, a few printed pages.
        let year = wb.worksheet_range(&year_sheet).unwrap();
        let fy = year_sheet.trim_start_matches("Indicators ");
        assert!(year.height() > 40 && year.height() < 40 * 30, "{} rows", year.height());
        for r in 1..year.height() {
            assert_eq!(cell(&year, r, 1).to_string(), fy, "row {r}");
        }
        // Export times are date-times.
        let exports = wb.worksheet_range("Exports").unwrap();
        assert!(
            matches!(cell(&exports, 1, 2), Data::DateTime(_)),
            "{:?}",
            cell(&exports, 1, 2)
        );
        // Every sheet prints A4 landscape, one page wide, its header row on
        // every page (read from the file's XML, which calamine does not show).
        let unzip = |part: &str| {
            std::process::Command::new("unzip")
                .args(["-p", path.to_str().unwrap(), part])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        if let Ok(book) = unzip("xl/workbook.xml") {
            assert_eq!(book.matches("_xlnm.Print_Titles").count(), names.len(), "{book}");
            for i in 1..=names.len() {
                let sheet = unzip(&format!("xl/worksheets/sheet{i}.xml")).unwrap();
                assert!(
                    sheet.contains("orientation=\"landscape\"")
                        && sheet.contains("paperSize=\"9\"")
                        && sheet.contains("fitToPage=\"1\""),
                    "sheet {i}"
                );
            }
        }
    }

    /// Chromium, if this machine has one.
    fn chromium() -> Option<&'static str> {
        ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    }

    fn headless(browser: &str, args: &[String]) -> String {
        let out = std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let console: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
            .collect();
        assert!(console.is_empty(), "console messages: {console:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A script the test adds to a copy of the page (the page has none): it
    /// lists the elements that stick out past the viewport's right edge,
    /// other than inside a box that scrolls them (`.scroll`), and whether
    /// the page itself scrolls sideways, into the title of the page that
    /// frames it (see `measure`).
    const MEASURE: &str = r#"<script>
    addEventListener('load', () => {
      const width = document.documentElement.clientWidth;
      const out = [];
      for (const e of document.body.querySelectorAll('*')) {
        if (e.closest('.scroll') || e.closest('title')) continue;
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.right > width + 1) out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));
      }
      if (document.documentElement.scrollWidth > width + 1) out.push('page ' + document.documentElement.scrollWidth);
      parent.document.title = 'MEASURED ' + width + ': ' + out.slice(0, 8).join('; ');
    });
    </script>"#;

    /// The dashboard in a real browser, as a reader holds it: at 1400 and
    /// 400 px nothing sticks out past the screen (wide tables scroll in
    /// their own box) and no console message; laid out for A4 paper
    /// (its print styles at the printable width) nothing sticks out past
    /// the page; printed to PDF, A4 pages holding the last partner's
    /// column. Screenshots are left beside the test binary to look at.
    #[test]
    fn the_dashboard_fits_a_laptop_a_phone_and_a4_paper_in_headless_chromium() {
        let Some(browser) = chromium() else {
            eprintln!("SKIPPED: no Chromium on this machine (apt-get install chromium); the dashboard was not opened");
            return;
        };
        let d = demo();
        let reports = d.dir().join("output/current/reports");
        let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        for page in ["index.html", "index.bn.html"] {
            let html = std::fs::read_to_string(reports.join(page)).unwrap();
            let measured = html.replace("</body>", &format!("{MEASURE}</body>"));
            // A4 less the 12 mm margins is 186 mm, about 703 CSS px: the
            // print styles, applied on screen at that width.
            let paper = measured.replace("@media print", "@media all");
            for (doc, width) in [(&measured, 1400), (&measured, 400), (&paper, 703)] {
                // Headless Chromium's window is at least 500 px wide: the
                // page is framed (a srcdoc frame, same origin) at the width.
                let frame = tmp.join(format!("frame-{width}-{page}"));
                std::fs::write(
                    &frame,
                    format!(
                        r#"<!doctype html><html><head><title>frame</title></head><body style="margin:0"><iframe style="width:{width}px;height:3000px;border:0" srcdoc="{}"></iframe></body></html>"#,
                        doc.replace('&', "&amp;").replace('"', "&quot;")
                    ),
                )
                .unwrap();
                let dom = headless(
                    browser,
                    &[
                        "--window-size=1600,3000".into(),
                        "--dump-dom".into(),
                        format!("file://{}", frame.display()),
                    ],
                );
                let title = dom
                    .split("<title>")
                    .nth(1)
                    .and_then(|t| t.split("</title>").next())
                    .unwrap_or_default();
                assert!(
                    title.starts_with(&format!("MEASURED {width}:")),
                    "{page} at {width}: not measured: {title}"
                );
                assert!(
                    title.trim_end().ends_with(':'),
                    "{page} at {width} px: wider than the viewport: {title}"
                );
            }
            for width in [1400, 400] {
                let shot = tmp.join(format!("dashboard-{width}-{page}.png"));
                headless(
                    browser,
                    &[
                        format!("--window-size={width},4000"),
                        format!("--screenshot={}", shot.display()),
                        format!("file://{}", reports.join(page).display()),
                    ],
                );
                let png = std::fs::read(&shot).unwrap();
                assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "{} bytes", png.len());
                eprintln!("dashboard screenshot: {}", shot.display());
            }
            let pdf = tmp.join(format!("dashboard-{page}.pdf"));
            headless(
                browser,
                &[
                    "--no-pdf-header-footer".into(),
                    format!("--print-to-pdf={}", pdf.display()),
                    format!("file://{}", reports.join(page).display()),
                ],
            );
            if let Ok(info) = std::process::Command::new("pdfinfo").arg(&pdf).output() {
                let info = String::from_utf8_lossy(&info.stdout);
                assert!(info.contains("(A4)"), "{info}");
                let text = std::process::Command::new("pdftotext")
                    .args([pdf.as_os_str(), "-".as_ref()])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&text.stdout);
                // The by-partner tables' last column and last partner.
                assert!(
                    text.contains("Sundarban Sathi"),
                    "{page}: the last partner is cut off the printout"
                );
                assert!(
                    text.contains("2024-25"),
                    "{page}: the last period column is cut off the printout"
                );
            }
            eprintln!("dashboard printed: {}", pdf.display());
        }
    }

    #[test]
    fn the_report_structure_matches_its_snapshot() {
        let d = demo();
        let reports = d.dir().join("output/current/reports");
        let html = std::fs::read_to_string(reports.join("index.html")).unwrap();
        let mut lines = Vec::new();
        let mut marks: Vec<(usize, String)> = Vec::new();
        for tag in ["h1", "h2", "h3", "figcaption"] {
            marks.extend(
                elements(&html, tag)
                    .into_iter()
                    .map(|(i, t)| (i, format!("{tag}: {}", redact(t)))),
            );
        }
        // Header rows of tables (th in thead), once per table.
        for (i, head) in elements(&html, "thead") {
            let cols: Vec<String> = elements(head, "th").into_iter().map(|(_, t)| redact(t)).collect();
            marks.push((i, format!("table: {}", cols.join(" | "))));
        }
        marks.extend(
            elements(&html, "span class=\"card-title\"")
                .into_iter()
                .map(|(i, t)| (i, format!("card: {t}"))),
        );
        marks.sort();
        lines.extend(marks.into_iter().map(|(_, l)| l));
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(reports.join("tafteesh-indicators.xlsx")).unwrap();
        for name in wb.sheet_names() {
            let range = wb.worksheet_range(&name).unwrap();
            let headers: Vec<String> = (0..range.width()).map(|c| cell(&range, 0, c).to_string()).collect();
            lines.push(format!("sheet {name}: {}", headers.join(" | ")));
        }
        let codebook = std::fs::read_to_string(reports.join("codebook.md")).unwrap();
        lines.extend(
            codebook
                .lines()
                .filter(|l| l.starts_with("## "))
                .map(|l| format!("codebook: {l}")),
        );
        let got = lines.join("\n") + "\n";
        let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/report_structure.txt");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
            std::fs::write(&snapshot, &got).unwrap();
        }
        let want = std::fs::read_to_string(&snapshot)
            .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", snapshot.display()));
        if got != want {
            let diff: Vec<String> = got
                .lines()
                .zip(want.lines())
                .filter(|(g, w)| g != w)
                .take(5)
                .map(|(g, w)| format!("got:  {g}\nwant: {w}"))
                .collect();
            panic!(
                "the report structure changed ({} vs {} lines); review and run with UPDATE_SNAPSHOTS=1\n{}",
                got.lines().count(),
                want.lines().count(),
                diff.join("\n")
            );
        }
    }
}
