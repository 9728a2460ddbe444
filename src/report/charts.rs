//! The dashboard's charts, drawn as inline SVG with no script: bars by
//! financial year (a hidden figure an empty dashed bar, its interval a
//! whisker) and a line across runs.

use std::fmt::Write as _;

use super::display;

/// Escape text for SVG and HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A point of a chart: label, value (None when not shown), interval, and
/// the text printed over it.
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub text: String,
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 20.0;

/// The y-axis top: 100 for a rate, else the largest value rounded up.
fn y_max(points: &[Point], unit: &str) -> f64 {
    if unit == "%" {
        return 100.0;
    }
    let m = points
        .iter()
        .filter_map(|p| p.interval.map(|(_, hi)| hi).or(p.value))
        .fold(0.0_f64, f64::max);
    if m <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(m.log10().floor());
    (m / step).ceil() * step
}

fn axis(svg: &mut String, max: f64, unit: &str, title: &str) {
    let _ = write!(
        svg,
        r##"<svg viewBox="0 0 {W} {H}" role="img" aria-label="{}" class="chart"><title>{}</title>"##,
        esc(title),
        esc(title)
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = H - BOTTOM - (H - BOTTOM - TOP) * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e7ee"/><text x="{}" y="{:.1}" text-anchor="end" font-size="10" fill="#5a6473">{}</text>"##,
            W - 8.0,
            LEFT - 6.0,
            y + 3.0,
            esc(&display(unit, Some(v)))
        );
    }
}

/// Bars per period, with the 95% interval as a whisker; a hidden figure
/// is an outlined empty bar labelled with why.
pub fn bar_chart(points: &[Point], unit: &str, title: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let max = y_max(points, unit);
    let mut svg = String::new();
    axis(&mut svg, max, unit, title);
    let slot = (W - LEFT - 8.0) / points.len() as f64;
    let y = |v: f64| H - BOTTOM - (H - BOTTOM - TOP) * (v / max).clamp(0.0, 1.0);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let w = slot * 0.7;
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
                    let cx = x + w / 2.0;
                    let _ = write!(
                        svg,
                        r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="#1d2430"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#1d2430"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#1d2430"/>"##,
                        y(lo),
                        y(hi),
                        cx - 4.0,
                        cx + 4.0,
                        y(lo),
                        y(lo),
                        cx - 4.0,
                        cx + 4.0,
                        y(hi),
                        y(hi)
                    );
                }
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="none" stroke="#9aa3b1" stroke-dasharray="3 3"/>"##,
                    TOP,
                    H - BOTTOM - TOP
                );
            }
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#1d2430">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#5a6473">{}</text>"##,
            x + w / 2.0,
            H - BOTTOM + 14.0,
            esc(&crate::period::short(&p.label).replace(" (to date)", "*")),
            x + w / 2.0,
            H - BOTTOM + 28.0,
            esc(&p.text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line through the points (one per run); gaps where a figure is hidden.
pub fn line_chart(points: &[Point], unit: &str, title: &str) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let max = y_max(points, unit);
    let mut svg = String::new();
    axis(&mut svg, max, unit, title);
    let step = (W - LEFT - 24.0) / (points.len() - 1) as f64;
    let y = |v: f64| H - BOTTOM - (H - BOTTOM - TOP) * (v / max).clamp(0.0, 1.0);
    let mut path = String::new();
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + 8.0 + step * i as f64;
        match p.value {
            Some(v) => {
                let _ = write!(path, "{}{x:.1},{:.1} ", if path.is_empty() { "M" } else { "L" }, y(v));
                let _ = write!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{:.1}" r="3" fill="#3b6ea8"><title>{}: {}</title></circle>"##,
                    y(v),
                    esc(&p.label),
                    esc(&p.text)
                );
            }
            None => {
                if !path.is_empty() {
                    let _ = write!(svg, r##"<path d="{path}" fill="none" stroke="#3b6ea8"/>"##);
                    path.clear();
                }
            }
        }
    }
    if !path.is_empty() {
        let _ = write!(svg, r##"<path d="{path}" fill="none" stroke="#3b6ea8"/>"##);
    }
    let first = &points[0];
    let last = &points[points.len() - 1];
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{:.1}" font-size="10" fill="#5a6473">{}</text><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#5a6473">{}</text>"##,
        H - BOTTOM + 16.0,
        esc(&first.label),
        W - 8.0,
        H - BOTTOM + 16.0,
        esc(&last.label)
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_mark_hidden_figures() {
        let points = vec![
            Point {
                label: "FY 2023-24".into(),
                value: Some(40.0),
                interval: Some((30.0, 50.0)),
                text: "40.0%".into(),
            },
            Point {
                label: "<b>".into(),
                value: None,
                interval: None,
                text: "suppressed".into(),
            },
        ];
        let svg = bar_chart(&points, "%", "A & B");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A &amp; B") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(
            svg.contains("stroke-dasharray"),
            "a hidden figure is drawn as an empty bar"
        );
        assert_eq!(line_chart(&points[..1], "%", "one run"), "", "one run is no trend");
        assert!(line_chart(&points, "%", "runs").contains("<path"));
    }

    #[test]
    fn the_axis_rounds_up() {
        let p = |v| Point {
            label: String::new(),
            value: Some(v),
            interval: None,
            text: String::new(),
        };
        assert_eq!(y_max(&[p(6_575_000.0)], "INR"), 7_000_000.0);
        assert_eq!(y_max(&[p(12.0)], "count"), 20.0);
        assert_eq!(y_max(&[p(3.0)], "%"), 100.0);
    }
}
