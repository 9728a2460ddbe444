//! Small-cell suppression of the indicator values, so no published figure
//! singles out a survivor.
//!
//! A figure built from 1 to k-1 cases, claims or people (its `cell_size`)
//! is hidden: a count reads "<k", a rate, sum or median is not shown. That
//! is primary suppression. It is not enough on its own, because the reports
//! show totals beside their parts:
//!
//! - a breakdown's rows (district, sex, ...) add up to the consortium row;
//! - the partners' rows add up to the naive sum over partners;
//! - a year's quarters add up to the year, and the years to All time.
//!
//! With one part hidden, total minus the others gives it back. So in every
//! such group with a visible total and exactly one hidden part, the
//! smallest other non-zero part is hidden too (secondary, or complementary,
//! suppression), or the total when there is no other part; hiding one
//! figure can expose another group, so this repeats until nothing changes.
//! Rates are protected the same way: numerators and denominators add up
//! like counts. Medians do not add up, so only primary suppression applies
//! to them.
//!
//! The warehouse keeps every value with its flag and reason (the research
//! team works inside the restricted setting and needs to see what was
//! withheld); `indicator_values_published` blanks what is suppressed, and
//! every report reads only that view.

use std::collections::HashMap;

use duckdb::Connection;

use crate::error::{Error, Result};

/// The figures as the reports show them: `indicator_values` blanked where suppressed.
pub const PUBLISHED_VIEW: &str = "indicator_values_published";

/// Why a figure is hidden.
pub const PRIMARY: &str = "small_cell";
pub const SECONDARY: &str = "complementary";

/// The dimension under which the naive sum over partners is handled as a
/// cell of its own (it is stored beside the consortium row).
const PARTNER_SUM: &str = "partner_sum";

/// One figure that could be published.
#[derive(Debug, Clone)]
pub struct Cell {
    pub indicator: String,
    pub unit: String,
    pub period: String,
    pub dimension: String,
    pub value: String,
    /// How many cases, claims, people or records the figure is built from.
    pub size: f64,
    pub reason: Option<&'static str>,
}

impl Cell {
    fn hidden(&self) -> bool {
        self.reason.is_some()
    }
}

/// What suppression did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub primary: usize,
    pub secondary: usize,
}

/// Groups of (parts, total) whose parts add up to the total: each
/// breakdown of a period against the consortium row (one group per
/// breakdown: the districts are one partition, the sexes another), the
/// partners against their sum, quarters against their year, years against
/// All time.
fn groups(cells: &[Cell]) -> Vec<(Vec<usize>, usize)> {
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let index: HashMap<Key<'_>, usize> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| ((&*c.indicator, &*c.period, &*c.dimension, &*c.value), i))
        .collect();
    // (total, the breakdown the parts belong to) -> parts.
    let mut parts: HashMap<(Key<'_>, &str), Vec<usize>> = HashMap::new();
    for (i, c) in cells.iter().enumerate() {
        if c.unit == "days" {
            continue;
        }
        // Across a breakdown, within one period.
        let total = match c.dimension.as_str() {
            "consortium" | PARTNER_SUM => None,
            "partner" => Some((&*c.indicator, &*c.period, PARTNER_SUM, "all")),
            _ => Some((&*c.indicator, &*c.period, "consortium", "all")),
        };
        if let Some(t) = total {
            parts.entry((t, &*c.dimension)).or_default().push(i);
        }
        // Across periods, within one row: quarters to their year, years to All time.
        if let Some(w) = crate::period::whole(&c.period) {
            parts
                .entry(((&*c.indicator, w, &*c.dimension, &*c.value), "periods"))
                .or_default()
                .push(i);
        }
    }
    let mut out: Vec<(Vec<usize>, usize)> = parts
        .into_iter()
        .filter_map(|((t, _), members)| index.get(&t).map(|&total| (members, total)))
        .collect();
    // Deterministic order, so the same values always hide the same cells.
    out.sort();
    out
}

/// Mark the cells to hide. `cells` are all the figures of one run.
pub fn suppress(cells: &mut [Cell], k: u32) -> Counts {
    let k = f64::from(k);
    let mut counts = Counts::default();
    for c in cells.iter_mut() {
        if c.size > 0.0 && c.size < k {
            c.reason = Some(PRIMARY);
            counts.primary += 1;
        }
    }
    let groups = groups(cells);
    loop {
        let mut changed = false;
        for (members, total) in &groups {
            if cells[*total].hidden() {
                continue;
            }
            let hidden = members
                .iter()
                .filter(|&&m| cells[m].hidden() && cells[m].size > 0.0)
                .count();
            if hidden != 1 {
                continue;
            }
            let next = members
                .iter()
                .copied()
                .filter(|&m| !cells[m].hidden() && cells[m].size > 0.0)
                .min_by(|&a, &b| cells[a].size.total_cmp(&cells[b].size).then(a.cmp(&b)))
                .unwrap_or(*total);
            cells[next].reason = Some(SECONDARY);
            counts.secondary += 1;
            changed = true;
        }
        if !changed {
            return counts;
        }
    }
}

/// Suppress `indicator_values` in place: fill `suppressed`,
/// `suppression_reason`, `naive_suppressed`, and create the view
/// `indicator_values_published` the reports read.
pub fn apply(conn: &Connection, k: u32) -> Result<Counts> {
    let err = || Error::warehouse("suppressing small cells");
    let mut cells = Vec::new();
    {
        let mut stmt = conn
            .prepare(&format!(
                "select indicator_id, unit, period, dimension, dimension_value, coalesce(cell_size, 0)
                 from indicator_values
                 union all
                 select indicator_id, unit, period, '{PARTNER_SUM}', 'all', coalesce(naive_cell_size, 0)
                 from indicator_values where dimension = 'consortium' and naive_cell_size is not null
                 -- The same figures always hide the same cells.
                 order by 1, 3, 4, 5"
            ))
            .map_err(err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Cell {
                    indicator: r.get(0)?,
                    unit: r.get(1)?,
                    period: r.get(2)?,
                    dimension: r.get(3)?,
                    value: r.get(4)?,
                    size: r.get(5)?,
                    reason: None,
                })
            })
            .map_err(err())?;
        for c in rows {
            cells.push(c.map_err(err())?);
        }
    }
    let counts = suppress(&mut cells, k);
    conn.execute_batch(
        "create temp table suppressed_cells (indicator_id varchar, period varchar, dimension varchar,
         dimension_value varchar, reason varchar)",
    )
    .map_err(err())?;
    {
        let mut app = conn.appender("suppressed_cells").map_err(err())?;
        for c in cells.iter().filter(|c| c.hidden()) {
            app.append_row([
                &c.indicator,
                &c.period,
                &c.dimension,
                &c.value,
                c.reason.unwrap_or_default(),
            ])
            .map_err(err())?;
        }
        app.flush().map_err(err())?;
    }
    conn.execute_batch(&format!(
        "update indicator_values v set suppressed = true, suppression_reason = s.reason
         from suppressed_cells s
         where v.indicator_id = s.indicator_id and v.period = s.period
           and v.dimension = s.dimension and v.dimension_value = s.dimension_value;
         update indicator_values v set naive_suppressed = true, naive_suppression_reason = s.reason
         from suppressed_cells s
         where s.dimension = '{PARTNER_SUM}' and v.dimension = 'consortium'
           and v.indicator_id = s.indicator_id and v.period = s.period;
         drop table suppressed_cells;
         create view {PUBLISHED_VIEW} as
         select
             indicator_id, period, dimension, dimension_value, unit,
             case when not suppressed then numerator end as numerator,
             case when not suppressed then denominator end as denominator,
             case when not suppressed then value end as value,
             case when not suppressed then ci_low end as ci_low,
             case when not suppressed then ci_high end as ci_high,
             case when not suppressed then cell_size end as cell_size,
             suppressed,
             suppression_reason,
             case when not naive_suppressed then naive_numerator end as naive_numerator,
             case when not naive_suppressed then naive_denominator end as naive_denominator,
             case when not naive_suppressed then naive_value end as naive_value,
             naive_suppressed,
             {k} as suppression_k,
             run_id,
         from indicator_values;"
    ))
    .map_err(err())?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(period: &str, dimension: &str, value: &str, size: f64) -> Cell {
        Cell {
            indicator: "x".into(),
            unit: "count".into(),
            period: period.into(),
            dimension: dimension.into(),
            value: value.into(),
            size,
            reason: None,
        }
    }

    fn hidden(cells: &[Cell]) -> Vec<(String, String, &'static str)> {
        cells
            .iter()
            .filter_map(|c| c.reason.map(|r| (c.period.clone(), c.value.clone(), r)))
            .collect()
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        let mut cells = vec![
            cell("All time", "consortium", "all", 40.0),
            cell("All time", "sex", "female", 30.0),
            cell("All time", "sex", "male", 3.0),
            cell("All time", "sex", "unknown", 7.0),
        ];
        let counts = suppress(&mut cells, 5);
        assert_eq!(
            counts,
            Counts {
                primary: 1,
                secondary: 1
            }
        );
        assert_eq!(
            hidden(&cells),
            [
                ("All time".into(), "male".into(), PRIMARY),
                ("All time".into(), "unknown".into(), SECONDARY)
            ]
        );
    }

    #[test]
    fn two_small_cells_protect_each_other_and_zero_is_shown() {
        let mut cells = vec![
            cell("All time", "consortium", "all", 40.0),
            cell("All time", "sex", "female", 34.0),
            cell("All time", "sex", "male", 3.0),
            cell("All time", "sex", "transgender", 3.0),
            cell("All time", "sex", "unknown", 0.0),
        ];
        assert_eq!(
            suppress(&mut cells, 5),
            Counts {
                primary: 2,
                secondary: 0
            }
        );
    }

    #[test]
    fn with_no_other_part_the_total_is_hidden() {
        let mut cells = vec![
            cell("All time", "consortium", "all", 3.0 + 0.0),
            cell("All time", "district", "Nadia", 3.0),
        ];
        let mut big = vec![
            cell("All time", "consortium", "all", 9.0),
            cell("All time", "district", "Nadia", 3.0),
            cell("All time", "district", "Malda", 0.0),
        ];
        suppress(&mut cells, 5);
        assert_eq!(hidden(&cells).len(), 2, "both are under k");
        suppress(&mut big, 5);
        // 9 - 0 = 3 would give Nadia back, so the total goes too.
        assert_eq!(
            hidden(&big),
            [
                ("All time".into(), "all".into(), SECONDARY),
                ("All time".into(), "Nadia".into(), PRIMARY)
            ]
        );
    }

    #[test]
    fn the_partner_sum_and_the_periods_are_totals_too() {
        let mut cells = vec![
            cell("FY 2023-24", "partner", "a", 2.0),
            cell("FY 2023-24", "partner", "b", 20.0),
            cell("FY 2023-24", "partner", "c", 9.0),
            cell("FY 2023-24", PARTNER_SUM, "all", 31.0),
            cell("All time", "partner", "a", 2.0 + 10.0),
            cell("FY 2022-23", "partner", "a", 10.0),
            cell("FY 2023-24 Q1", "partner", "c", 1.0),
            cell("FY 2023-24 Q2", "partner", "c", 8.0),
        ];
        suppress(&mut cells, 5);
        let h = hidden(&cells);
        // a's small year is protected against the partner sum (c hidden with
        // it) and against a's All time (a's other year hidden with it); c's
        // small quarter against c's year, which is hidden already.
        assert!(h.contains(&("FY 2023-24".into(), "a".into(), PRIMARY)), "{h:?}");
        assert!(h.contains(&("FY 2023-24".into(), "c".into(), SECONDARY)), "{h:?}");
        assert!(h.contains(&("FY 2022-23".into(), "a".into(), SECONDARY)), "{h:?}");
        assert!(h.contains(&("FY 2023-24 Q1".into(), "c".into(), PRIMARY)), "{h:?}");
        assert!(!h.iter().any(|(p, v, _)| p == "FY 2023-24" && v == "b"), "{h:?}");
    }

    #[test]
    fn each_breakdown_is_its_own_partition() {
        // One small district and one small sex do not protect each other:
        // each is recoverable within its own breakdown.
        let mut cells = vec![
            cell("All time", "consortium", "all", 40.0),
            cell("All time", "district", "Nadia", 3.0),
            cell("All time", "district", "Malda", 37.0),
            cell("All time", "sex", "male", 2.0),
            cell("All time", "sex", "female", 38.0),
        ];
        assert_eq!(
            suppress(&mut cells, 5),
            Counts {
                primary: 2,
                secondary: 2
            }
        );
    }

    #[test]
    fn medians_are_only_suppressed_when_small() {
        let mut cells = vec![
            cell("All time", "consortium", "all", 40.0),
            cell("All time", "sex", "female", 37.0),
            cell("All time", "sex", "male", 3.0),
        ];
        for c in &mut cells {
            c.unit = "days".into();
        }
        assert_eq!(
            suppress(&mut cells, 5),
            Counts {
                primary: 1,
                secondary: 0
            }
        );
    }
}
