//! The block sheet: entitlement applications pending more than 90 days, by
//! block, gram panchayat, the office that owes them and the entitlement
//! (`fct_pending_entitlements_by_block`). It is what a survivors'
//! collective takes to a block or panchayat meeting, so it is printed: one
//! page per block (`reports/blocks.html`, English and Bengali side by side)
//! and a sheet of the workbook.
//!
//! Counts only, never a person or a date, and with the indicators'
//! suppression: a count below k reads "<k", and a block's total is hidden
//! when any of its counts is (else the hidden one is the total less the
//! others).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::charts::esc;
use super::lang::Lang;
use crate::error::{Error, Result};

/// One row of the mart.
#[derive(Debug, Clone)]
pub struct PendingRow {
    pub district: String,
    pub block: String,
    pub gram_panchayat: String,
    pub authority: String,
    pub entitlement: String,
    pub pending: i64,
}

impl PendingRow {
    /// The panchayat as the sheet shows it: none where another office owes
    /// the entitlement and the register named no panchayat.
    pub fn panchayat(&self) -> Option<&str> {
        (self.gram_panchayat != "unknown" || self.authority == "gram_panchayat").then_some(&self.gram_panchayat)
    }
}

/// The mart's rows, by district, block, panchayat, authority and entitlement.
pub fn read(conn: &duckdb::Connection) -> Result<Vec<PendingRow>> {
    let mut stmt = conn
        .prepare(
            "select district, block, gram_panchayat, authority, entitlement, pending_over_90_days
             from fct_pending_entitlements_by_block
             order by district, block, gram_panchayat = 'unknown', gram_panchayat, authority, entitlement",
        )
        .map_err(Error::warehouse("reading fct_pending_entitlements_by_block"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(PendingRow {
                district: r.get(0)?,
                block: r.get(1)?,
                gram_panchayat: r.get(2)?,
                authority: r.get(3)?,
                entitlement: r.get(4)?,
                pending: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(Error::warehouse("reading fct_pending_entitlements_by_block"))?;
    Ok(rows)
}

/// A count as published: itself, or `<k` below k (zero is shown).
pub fn shown(count: i64, k: u32) -> String {
    if count > 0 && count < k as i64 {
        format!("<{k}")
    } else {
        count.to_string()
    }
}

/// Each (district, block): its rows, and its total when no count of it is hidden.
pub type Blocks<'r> = BTreeMap<(String, String), (Vec<&'r PendingRow>, Option<i64>)>;

/// The rows by (district, block), each block with its total when none of
/// its counts is hidden.
pub fn by_block(rows: &[PendingRow], k: u32) -> Blocks<'_> {
    let mut out = Blocks::new();
    for r in rows {
        out.entry((r.district.clone(), r.block.clone())).or_default().0.push(r);
    }
    for (rows, total) in out.values_mut() {
        let hidden = rows.iter().any(|r| r.pending > 0 && r.pending < k as i64);
        *total = (!hidden).then(|| rows.iter().map(|r| r.pending).sum());
    }
    out
}

/// "English / বাংলা" for a message of both catalogues.
fn both(en: &Lang, bn: &Lang, key: &str) -> String {
    format!("{} / {}", esc(en.t(key)), esc(bn.t(key)))
}

/// `reports/blocks.html`: a page per block, for print, in English (`en`)
/// and Bengali (`bn`) side by side.
pub fn write_html(rows: &[PendingRow], as_of: &str, k: u32, en: &Lang, bn: &Lang, path: &Path) -> Result<()> {
    let less = format!("<{k}");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,'Noto Sans Bengali',sans-serif;margin:1.5rem;color:#1b2330;max-width:60rem}}\
         h1{{font-size:1.4rem}} h2{{font-size:1.2rem;border-bottom:2px solid #1d4f8a;margin-top:2rem}}\
         table{{border-collapse:collapse;width:100%;font-size:.95rem}} th,td{{border:1px solid #c9d1dc;padding:.3rem .45rem;text-align:left;vertical-align:top}}\
         th{{background:#eef1f6}} td.n{{text-align:right;font-variant-numeric:tabular-nums}} tr.total td{{font-weight:600}}\
         p.sub{{color:#3c4656}} @media print{{section.block{{break-before:page}} body{{margin:0;font-size:10.5pt}} table{{font-size:9.5pt}} th,td{{padding:.15rem .3rem}} tr{{break-inside:avoid}}}}\
         </style></head><body>\n<h1>{title}</h1>\n<p class=\"sub\">{sub_en}</p>\n<p class=\"sub\" lang=\"bn\">{sub_bn}</p>\n",
        title = both(en, bn, "blocks_title"),
        sub_en = esc(&en.fill(
            "blocks_sub",
            &[("as_of", as_of), ("k", &k.to_string()), ("less", &less)]
        )),
        sub_bn = esc(&bn.fill(
            "blocks_sub",
            &[("as_of", as_of), ("k", &k.to_string()), ("less", &less)]
        )),
    );
    let blocks = by_block(rows, k);
    if blocks.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", both(en, bn, "blocks_none"));
    }
    let label = |v: &str| format!("{} / <span lang=\"bn\">{}</span>", esc(&en.value(v)), esc(&bn.value(v)));
    for ((district, block), (rows, total)) in &blocks {
        let place = |v: &str| {
            if v == "unknown" { label(v) } else { esc(v) }
        };
        let _ = writeln!(
            h,
            "<section class=\"block\"><h2>{}: {} ({})</h2>\n<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            both(en, bn, "blocks_block"),
            place(block),
            place(district),
            both(en, bn, "blocks_gp"),
            both(en, bn, "blocks_authority"),
            both(en, bn, "blocks_entitlement"),
            both(en, bn, "blocks_pending"),
        );
        for r in rows {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                r.panchayat().map_or_else(|| "—".to_string(), place),
                label(&r.authority),
                label(&r.entitlement),
                esc(&shown(r.pending, k))
            );
        }
        let total = total.map_or_else(|| super::charts::HIDDEN.to_string(), |t| t.to_string());
        let _ = writeln!(
            h,
            "<tr class=\"total\"><td colspan=\"3\">{}</td><td class=\"n\">{}</td></tr></tbody></table></section>",
            both(en, bn, "blocks_total"),
            esc(&total)
        );
    }
    h.push_str("</body></html>\n");
    std::fs::write(path, h).map_err(Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(block: &str, gp: &str, n: i64) -> PendingRow {
        PendingRow {
            district: "South 24 Parganas".into(),
            block: block.into(),
            gram_panchayat: gp.into(),
            authority: "gram_panchayat".into(),
            entitlement: "ration_card".into(),
            pending: n,
        }
    }

    #[test]
    fn a_small_count_is_hidden_and_so_is_its_blocks_total() {
        let rows = [
            row("Canning I", "Itkhola", 7),
            row("Canning I", "Dighirpar", 2),
            row("Basanti", "Masjidbati", 9),
        ];
        let blocks = by_block(&rows, 5);
        let canning = &blocks[&("South 24 Parganas".to_string(), "Canning I".to_string())];
        assert_eq!(canning.1, None, "7 + <5 = total would give the hidden count away");
        assert_eq!(
            blocks[&("South 24 Parganas".to_string(), "Basanti".to_string())].1,
            Some(9)
        );
        assert_eq!(shown(2, 5), "<5");
        assert_eq!(shown(0, 5), "0");
        assert_eq!(shown(7, 5), "7");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.html");
        let langs = Lang::all(false).unwrap();
        write_html(&rows, "2026-10-31", 5, &langs[0], &langs[1], &path).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert_eq!(html.matches("<section class=\"block\">").count(), 2);
        assert!(html.contains("&lt;5") && html.contains("রেশন কার্ড") && !html.contains(">2<"));
    }
}
