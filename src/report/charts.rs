//! The dashboard's charts, drawn as inline SVG with no script: bars by
//! financial year and a line across runs.
//!
//! Drawn for a reader who holds the page at arm's length or prints it: axis
//! and value text at 13 and 12 units of a 640-unit width (about 12 px on a
//! laptop), ticks at round numbers, rupees in lakh and crore, the target as
//! a dashed line, and a hidden figure as a short marked stub at the
//! baseline (never a bar the full height of the axis, which reads as a
//! tall value). Value labels under the bars are left out when they would
//! run into each other: the table beside the chart (the one a phone shows
//! instead of the chart) has every value.

use std::fmt::Write as _;

/// Escape text for SVG and HTML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A point of a chart: label (in its tooltip) and the shorter one under
/// its bar, value (None when not shown), interval, the target for its
/// period with its words, and the text printed under it.
pub struct Point {
    pub label: String,
    pub axis_label: String,
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub target: Option<f64>,
    pub target_text: String,
    pub text: String,
}

/// How a value on the axis reads ("₹50.0 lakh", "25.0%"), in the page's language.
pub type Axis<'a> = &'a dyn Fn(f64) -> String;

/// The symbol a hidden figure reads as, everywhere on the page.
pub const HIDDEN: &str = "§";

const W: f64 = 640.0;
const H: f64 = 250.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 10.0;
const BOTTOM: f64 = 46.0;
const TOP: f64 = 22.0;
const AXIS_FONT: f64 = 13.0;
const VALUE_FONT: f64 = 12.0;
/// Roughly how wide a character of these fonts is, per unit of font size.
const CHAR_WIDTH: f64 = 0.6;

/// The y axis: its top and its step, both round (1, 2, 2.5 or 5 times a
/// power of ten; 0 to 100 by 25 for a rate), with room for every value,
/// interval and target.
fn scale(points: &[Point], unit: &str) -> (f64, f64) {
    if unit == "%" {
        return (100.0, 25.0);
    }
    let m = points
        .iter()
        .flat_map(|p| [p.interval.map(|(_, hi)| hi).or(p.value), p.target])
        .flatten()
        .fold(0.0_f64, f64::max);
    if m <= 0.0 {
        return (4.0, 1.0);
    }
    let rough = m / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|f| f * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    // Whole counts, days and rupees have whole steps.
    let step = step.max(1.0);
    ((m / step).ceil() * step, step)
}

fn text_width(s: &str, font: f64) -> f64 {
    s.chars().count() as f64 * font * CHAR_WIDTH
}

fn axis(svg: &mut String, (max, step): (f64, f64), axis: Axis<'_>, title: &str) {
    let _ = write!(
        svg,
        r##"<svg viewBox="0 0 {W} {H}" role="img" aria-label="{}" class="chart"><title>{}</title>"##,
        esc(title),
        esc(title)
    );
    let ticks = (max / step).round() as usize;
    for i in 0..=ticks {
        let v = step * i as f64;
        let y = H - BOTTOM - (H - BOTTOM - TOP) * v / max;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{}"/><text x="{}" y="{:.1}" text-anchor="end" font-size="{AXIS_FONT}" fill="#4a5463">{}</text>"##,
            W - RIGHT,
            if i == 0 { "#9aa3b1" } else { "#e3e7ee" },
            LEFT - 6.0,
            y + 4.0,
            esc(&axis(v))
        );
    }
}

/// The target's dashes and a legend, when some point has one.
fn legend_target(svg: &mut String, any: bool, word: &str) {
    if any {
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" x2="{:.1}" y1="9" y2="9" stroke="#b4490f" stroke-width="2" stroke-dasharray="5 3"/><text x="{:.1}" y="13" font-size="{AXIS_FONT}" text-anchor="end" fill="#b4490f">{}</text>"##,
            W - RIGHT - 30.0 - text_width(word, AXIS_FONT),
            W - RIGHT - 4.0 - text_width(word, AXIS_FONT),
            W - RIGHT,
            esc(word)
        );
    }
}

/// Bars per period, with the 95% interval as a whisker and the period's
/// target as a dashed line across its bar.
pub fn bar_chart(points: &[Point], unit: &str, title: &str, axis_text: Axis<'_>, target_word: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let (max, step) = scale(points, unit);
    let mut svg = String::new();
    axis(&mut svg, (max, step), axis_text, title);
    let slot = (W - LEFT - RIGHT) / points.len() as f64;
    let y = |v: f64| H - BOTTOM - (H - BOTTOM - TOP) * (v / max).clamp(0.0, 1.0);
    let label = |p: &Point| p.axis_label.clone();
    // Period labels on every bar if they fit, else on every other one;
    // value labels only if every one fits its slot.
    let every = if points.iter().all(|p| text_width(&label(p), AXIS_FONT) <= slot * 0.95) {
        1
    } else {
        2
    };
    let values_fit = points.iter().all(|p| text_width(&p.text, VALUE_FONT) <= slot * 0.95);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let w = slot * 0.7;
        let cx = x + w / 2.0;
        match p.value {
            Some(v) => {
                let _ = write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="#3b6ea8"><title>{}: {}</title></rect>"##,
                    y(v),
                    (H - BOTTOM - y(v)).max(0.0),
                    esc(&p.label),
                    esc(&p.text)
                );
                if let Some((lo, hi)) = p.interval {
                    let _ = write!(
                        svg,
                        r##"<path d="M{cx:.1},{:.1}V{:.1}M{:.1},{:.1}H{:.1}M{:.1},{:.1}H{:.1}" stroke="#1d2430" fill="none"/>"##,
                        y(lo),
                        y(hi),
                        cx - 4.0,
                        y(lo),
                        cx + 4.0,
                        cx - 4.0,
                        y(hi),
                        cx + 4.0
                    );
                }
            }
            None => {
                // A stub at the baseline, marked with the hidden symbol.
                let _ = write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="4" fill="#c9cfd8"><title>{}: hidden ({HIDDEN})</title></rect><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="{VALUE_FONT}" fill="#4a5463">{HIDDEN}</text>"##,
                    H - BOTTOM - 4.0,
                    esc(&p.label),
                    H - BOTTOM - 8.0
                );
            }
        }
        if let Some(t) = p.target {
            let _ = write!(
                svg,
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#b4490f" stroke-width="2" stroke-dasharray="5 3"><title>{}: {}</title></line>"##,
                x - slot * 0.1,
                x + w + slot * 0.1,
                y(t),
                y(t),
                esc(&p.label),
                esc(&p.target_text)
            );
        }
        // Counted from the last bar, so the latest year always has its label.
        if (points.len() - 1 - i).is_multiple_of(every) {
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="{AXIS_FONT}" fill="#1d2430">{}</text>"##,
                H - BOTTOM + 17.0,
                esc(&label(p))
            );
        }
        if values_fit {
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="{VALUE_FONT}" fill="#4a5463">{}</text>"##,
                H - BOTTOM + 35.0,
                esc(if p.value.is_some() { &p.text } else { HIDDEN })
            );
        }
    }
    legend_target(&mut svg, points.iter().any(|p| p.target.is_some()), target_word);
    svg.push_str("</svg>");
    svg
}

/// A line through the points (one per run); gaps where a figure is hidden.
pub fn line_chart(points: &[Point], unit: &str, title: &str, axis_text: Axis<'_>) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let (max, step) = scale(points, unit);
    let mut svg = String::new();
    axis(&mut svg, (max, step), axis_text, title);
    let span = W - LEFT - RIGHT - 16.0;
    let x_of = |i: usize| LEFT + 8.0 + span * i as f64 / (points.len() - 1) as f64;
    let y = |v: f64| H - BOTTOM - (H - BOTTOM - TOP) * (v / max).clamp(0.0, 1.0);
    let mut path = String::new();
    for (i, p) in points.iter().enumerate() {
        let x = x_of(i);
        match p.value {
            Some(v) => {
                let _ = write!(path, "{}{x:.1},{:.1} ", if path.is_empty() { "M" } else { "L" }, y(v));
                let _ = write!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{:.1}" r="3.5" fill="#3b6ea8"><title>{}: {}</title></circle>"##,
                    y(v),
                    esc(&p.label),
                    esc(&p.text)
                );
            }
            None => {
                if !path.is_empty() {
                    let _ = write!(
                        svg,
                        r##"<path d="{path}" fill="none" stroke="#3b6ea8" stroke-width="2"/>"##
                    );
                    path.clear();
                }
            }
        }
    }
    if !path.is_empty() {
        let _ = write!(
            svg,
            r##"<path d="{path}" fill="none" stroke="#3b6ea8" stroke-width="2"/>"##
        );
    }
    let first = &points[0];
    let last = &points[points.len() - 1];
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{:.1}" font-size="{AXIS_FONT}" fill="#4a5463">{}</text><text x="{:.1}" y="{:.1}" font-size="{AXIS_FONT}" text-anchor="end" fill="#4a5463">{}</text>"##,
        H - BOTTOM + 18.0,
        esc(&first.label),
        W - RIGHT,
        H - BOTTOM + 18.0,
        esc(&last.label)
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str, v: Option<f64>, text: &str) -> Point {
        Point {
            label: label.into(),
            axis_label: crate::period::short(label).to_string(),
            value: v,
            interval: None,
            target: None,
            target_text: String::new(),
            text: text.into(),
        }
    }

    /// Axis values as the English page writes them.
    fn english(unit: &str, v: f64) -> String {
        let langs = crate::report::lang::Lang::all(false).unwrap();
        crate::report::dashboard::Page { lang: &langs[0] }.amount(unit, Some(v))
    }

    fn rupees(v: f64) -> String {
        english("INR", v)
    }

    fn rate(v: f64) -> String {
        english("%", v)
    }

    #[test]
    fn charts_escape_labels_and_mark_hidden_figures_at_the_baseline() {
        let mut first = p("FY 2023-24", Some(40.0), "40.0%");
        first.interval = Some((30.0, 50.0));
        first.target = Some(45.0);
        first.target_text = "target 45.0%".into();
        let points = vec![first, p("<b>", None, "suppressed")];
        let svg = bar_chart(&points, "%", "A & B", &rate, "target");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A &amp; B") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains(HIDDEN), "a hidden figure is marked");
        assert!(
            !svg.contains(&format!("height=\"{:.1}\"", H - BOTTOM - TOP)),
            "and is not a bar the height of the axis"
        );
        assert!(
            svg.contains("target 45.0%") && svg.contains(">target<"),
            "the target is drawn"
        );
        assert_eq!(
            line_chart(&points[..1], "%", "one run", &rate),
            "",
            "one run is no trend"
        );
        assert!(line_chart(&points, "%", "runs", &rate).contains("<path"));
    }

    #[test]
    fn the_axis_steps_are_round_and_rupees_read_in_lakh_and_crore() {
        let one = |v| [p("", Some(v), "")];
        assert_eq!(scale(&one(6_575_000.0), "INR"), (8_000_000.0, 2_000_000.0));
        assert_eq!(scale(&one(70.0), "count"), (80.0, 20.0));
        assert_eq!(scale(&one(12.0), "count"), (15.0, 5.0));
        assert_eq!(scale(&one(3.0), "count"), (3.0, 1.0));
        assert_eq!(scale(&one(3.0), "%"), (100.0, 25.0));
        let svg = bar_chart(&one(17_025_000.0), "INR", "rupees", &rupees, "target");
        assert!(svg.contains(">₹2.00 crore<") && svg.contains(">₹50.0 lakh<"), "{svg}");
    }

    #[test]
    fn labels_that_would_collide_are_left_out() {
        let many: Vec<Point> = (0..14)
            .map(|i| {
                p(
                    &format!("FY 20{:02}-{:02}", 10 + i, 11 + i),
                    Some(1e7 + i as f64),
                    "₹1,00,00,000",
                )
            })
            .collect();
        let svg = bar_chart(&many, "INR", "many", &rupees, "target");
        assert!(
            !svg.contains(">₹1,00,00,000<"),
            "value labels that do not fit are left out"
        );
        assert_eq!(svg.matches(">2023-24<").count(), 1, "the latest year is labelled");
        assert_eq!(svg.matches(">2022-23<").count(), 0, "every other period label");
        assert_eq!(svg.matches(">2011-12<").count(), 1);
    }
}
