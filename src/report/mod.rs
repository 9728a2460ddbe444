//! The first report: the indicator table as CSV, and an HTML page a
//! programme manager can open offline (no scripts, no network).
//!
//! Reports read only the warehouse's aggregate tables. They never see a
//! token, let alone a name. (Small-cell suppression arrives with issue #5.)

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::warehouse;

/// One row of `indicator_values`, with its catalogue entry.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub indicator_id: String,
    pub title: String,
    pub unit: String,
    pub period: String,
    /// "consortium" (linked entities) or "partner".
    pub dimension: String,
    /// "all" for the consortium, the partner_id for a partner.
    pub dimension_value: String,
    /// What a reader sees for the column: the partner's name, or "Consortium (linked)".
    pub label: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// A rate's 95% Wilson score interval, in percent.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Consortium rows: the sum over partners, double counting included.
    pub naive_numerator: Option<f64>,
    pub naive_denominator: Option<f64>,
    pub naive_value: Option<f64>,
}

/// Read the indicator values from a built warehouse.
pub fn read_indicators(conn: &duckdb::Connection) -> Result<Vec<IndicatorRow>> {
    let mut stmt = conn
        .prepare(
            "select v.indicator_id, i.title, v.unit, v.period, v.dimension, v.dimension_value,
                 v.numerator, v.denominator, v.value, v.naive_numerator, v.naive_denominator, v.naive_value,
                 v.ci_low, v.ci_high,
                 case when v.dimension = 'consortium' then 'Consortium (linked)'
                      else coalesce(p.partner_name, v.dimension_value) end
             from indicator_values v
             join indicators i using (indicator_id)
             left join dim_partners p on v.dimension = 'partner' and p.partner_id = v.dimension_value
             where v.dimension in ('consortium', 'partner')
             order by v.indicator_id, v.period = 'All time' desc, v.period desc,
                      v.dimension = 'consortium' desc, v.dimension_value",
        )
        .map_err(Error::warehouse("reading indicator_values"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(IndicatorRow {
                indicator_id: r.get(0)?,
                title: r.get(1)?,
                unit: r.get(2)?,
                period: r.get(3)?,
                dimension: r.get(4)?,
                dimension_value: r.get(5)?,
                numerator: r.get(6)?,
                denominator: r.get(7)?,
                value: r.get(8)?,
                naive_numerator: r.get(9)?,
                naive_denominator: r.get(10)?,
                naive_value: r.get(11)?,
                label: r.get(14)?,
                ci_low: r.get(12)?,
                ci_high: r.get(13)?,
            })
        })
        .map_err(Error::warehouse("reading indicator_values"))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::warehouse("reading indicator_values"))?;
    Ok(rows)
}

/// Write the indicator table as CSV.
pub fn write_csv(rows: &[IndicatorRow], path: &Path) -> Result<()> {
    let io = |e: csv::Error| Error::io(path)(e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record([
        "indicator_id",
        "title",
        "unit",
        "period",
        "dimension",
        "dimension_value",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "naive_numerator",
        "naive_denominator",
        "naive_value",
    ])
    .map_err(io)?;
    let num = |x: Option<f64>| {
        x.map(|v| format!("{}", (v * 100.0).round() / 100.0))
            .unwrap_or_default()
    };
    for r in rows {
        w.write_record([
            r.indicator_id.as_str(),
            &r.title,
            &r.unit,
            &r.period,
            &r.dimension,
            &r.dimension_value,
            &num(r.numerator),
            &num(r.denominator),
            &num(r.value),
            &num(r.ci_low),
            &num(r.ci_high),
            &num(r.naive_numerator),
            &num(r.naive_denominator),
            &num(r.naive_value),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(Error::io(path))
}

/// Rupees in Indian grouping: 12,34,567.
pub fn indian_grouping(n: i64) -> String {
    let neg = n < 0;
    let s = n.unsigned_abs().to_string();
    let out = if s.len() <= 3 {
        s
    } else {
        let (head, tail) = s.split_at(s.len() - 3);
        let mut groups: Vec<&str> = Vec::new();
        let mut h = head;
        while h.len() > 2 {
            groups.push(&h[h.len() - 2..]);
            h = &h[..h.len() - 2];
        }
        if !h.is_empty() {
            groups.push(h);
        }
        groups.reverse();
        format!("{},{tail}", groups.join(","))
    };
    if neg { format!("-{out}") } else { out }
}

/// How a value reads in the report.
fn display(unit: &str, value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(v) => match unit {
            "%" => format!("{v:.1}%"),
            "INR" => format!("₹{}", indian_grouping(v.round() as i64)),
            _ => indian_grouping(v.round() as i64),
        },
    }
}

#[derive(Serialize)]
struct Cell {
    text: String,
    detail: String,
}

/// A column of an indicator table.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    label: String,
    dimension: String,
    value: String,
    /// The naive sum over partners beside the consortium figure.
    naive: bool,
}

#[derive(Serialize)]
struct Table {
    id: String,
    title: String,
    definition: String,
    numerator: String,
    denominator: String,
    source: String,
    partners: Vec<String>,
    rows: Vec<(String, Vec<Cell>)>,
}

/// Facts about the run shown at the top of the page.
#[derive(Debug, Clone, Serialize)]
pub struct RunFacts {
    pub run_id: String,
    pub finished_at: String,
    pub files_read: usize,
    pub files_failed: usize,
    pub rows_read: usize,
    pub rows_kept: Vec<(String, usize)>,
    pub rows_quarantined: usize,
    pub duplicates_removed: usize,
    pub exports: Vec<(String, String)>,
}

/// The MIS accuracy scorecard as the report shows it: every cell as text.
#[derive(Debug, Default, Serialize)]
pub struct Scorecard {
    /// partner, table, records, clean records, accuracy %, newest record, timeliness (days).
    pub tables: Vec<Vec<String>>,
    /// partner, table, field, completeness %, validity %, consistency %, uniqueness %:
    /// the fields with any validity, consistency or uniqueness finding, worst first.
    pub fields: Vec<Vec<String>>,
    /// partner, table, field, spelling as written, records: the place names
    /// the gazetteer lacks, most used first.
    pub unknown_places: Vec<Vec<String>>,
}

/// Read the scorecard marts.
pub fn read_scorecard(conn: &duckdb::Connection) -> Result<Scorecard> {
    let text_rows = |sql: &str| -> Result<Vec<Vec<String>>> {
        let mut stmt = conn.prepare(sql).map_err(Error::warehouse("reading the scorecard"))?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, Option<String>>(i).map(|v| v.unwrap_or_else(|| "-".into())))
                    .collect()
            })
            .map_err(Error::warehouse("reading the scorecard"))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(Error::warehouse("reading the scorecard"))
    };
    Ok(Scorecard {
        tables: text_rows(
            "select coalesce(p.partner_name, s.partner_id), replace(s.table_name, '_', ' '), s.records::varchar,
                    s.clean_records::varchar, s.accuracy_pct::varchar, s.newest_record_date::varchar,
                    s.timeliness_days::varchar
             from fct_dq_table_scores s left join dim_partners p using (partner_id)
             order by s.accuracy_pct, 1, 2",
        )?,
        fields: text_rows(
            "select coalesce(p.partner_name, f.partner_id), replace(f.table_name, '_', ' '), f.field,
                    f.completeness_pct::varchar, f.validity_pct::varchar, f.consistency_pct::varchar,
                    f.uniqueness_pct::varchar
             from fct_dq_field_scores f left join dim_partners p using (partner_id)
             where f.invalid + f.inconsistent + f.duplicate > 0
             order by least(coalesce(f.validity_pct, 100), f.consistency_pct, f.uniqueness_pct), 1, 2, 3
             limit 40",
        )?,
        unknown_places: text_rows(
            "select coalesce(p.partner_name, u.partner_id), replace(u.table_name, '_', ' '), u.field, u.written,
                    u.records::varchar
             from fct_dq_unknown_places u left join dim_partners p using (partner_id)
             order by u.records desc, 1, 2, 3, 4
             limit 60",
        )?,
    })
}

/// Write the HTML page.
pub fn write_html(
    rows: &[IndicatorRow],
    catalogue: &[warehouse::IndicatorMeta],
    facts: &RunFacts,
    scorecard: &Scorecard,
    path: &Path,
) -> Result<()> {
    let mut tables = Vec::new();
    for meta in catalogue {
        let mine: Vec<&IndicatorRow> = rows.iter().filter(|r| r.indicator_id == meta.id).collect();
        // Columns: the consortium's linked figure, the naive sum over
        // partners beside it, then each partner.
        let mut columns: Vec<Column> = Vec::new();
        for r in &mine {
            let col = Column {
                label: r.label.clone(),
                dimension: r.dimension.clone(),
                value: r.dimension_value.clone(),
                naive: false,
            };
            if !columns.contains(&col) {
                if r.dimension == "consortium" {
                    columns.push(Column {
                        label: "Sum over partners (double counted)".into(),
                        naive: true,
                        ..col.clone()
                    });
                }
                columns.push(col);
            }
        }
        columns.sort_by_key(|c| (c.dimension != "consortium", c.naive, c.label.clone()));
        let mut periods: Vec<String> = mine.iter().map(|r| r.period.clone()).collect();
        periods.sort_by(|a, b| (b == "All time").cmp(&(a == "All time")).then(b.cmp(a)));
        periods.dedup();
        let table_rows = periods
            .iter()
            .map(|p| {
                let cells = columns
                    .iter()
                    .map(|c| {
                        let r = mine
                            .iter()
                            .find(|r| &r.period == p && r.dimension == c.dimension && r.dimension_value == c.value);
                        let (num, den, value, ci) = match r {
                            Some(r) if c.naive => (r.naive_numerator, r.naive_denominator, r.naive_value, None),
                            Some(r) => (r.numerator, r.denominator, r.value, r.ci_low.zip(r.ci_high)),
                            None => (None, None, None, None),
                        };
                        Cell {
                            text: display(&meta.unit, value),
                            detail: match den {
                                Some(den) => {
                                    let ratio = format!(
                                        "{} / {}",
                                        indian_grouping(num.unwrap_or(0.0) as i64),
                                        indian_grouping(den as i64)
                                    );
                                    match ci {
                                        Some((lo, hi)) => format!("{ratio}; 95% CI {lo:.1}–{hi:.1}%"),
                                        None => ratio,
                                    }
                                }
                                None => String::new(),
                            },
                        }
                    })
                    .collect();
                (p.clone(), cells)
            })
            .collect();
        tables.push(Table {
            id: meta.id.clone(),
            title: meta.title.clone(),
            definition: meta.definition.clone(),
            numerator: meta.numerator.clone(),
            denominator: meta.denominator.clone().unwrap_or_default(),
            source: meta.source.clone(),
            partners: columns.into_iter().map(|c| c.label).collect(),
            rows: table_rows,
        });
    }
    let mut env = Environment::new();
    env.add_template("index.html", include_str!("index.html"))
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    let html = env
        .get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                facts => Value::from(Serde(facts)),
                tables => Value::from(Serde(&tables)),
                scorecard => Value::from(Serde(scorecard)),
            })
        })
        .map_err(|e| Error::Internal(format!("rendering the report: {e}")))?;
    std::fs::write(path, html).map_err(Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupees_in_indian_grouping() {
        assert_eq!(indian_grouping(0), "0");
        assert_eq!(indian_grouping(999), "999");
        assert_eq!(indian_grouping(1000), "1,000");
        assert_eq!(indian_grouping(100000), "1,00,000");
        assert_eq!(indian_grouping(1234567), "12,34,567");
        assert_eq!(indian_grouping(6575000), "65,75,000");
        assert_eq!(indian_grouping(-150000), "-1,50,000");
    }
}
