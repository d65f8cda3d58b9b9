//! SVG plots of descriptor distributions: box plots and quantile-quantile plots of an
//! original against a generated sample (the paper's Fig. 3).

use std::fmt::Write;

const W: f64 = 360.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
const COLOURS: [&str; 2] = ["#1f77b4", "#d62728"];

/// Quantile of sorted data at probability p in [0, 1] (linear interpolation, numpy's default).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < sorted.len() {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    } else {
        sorted[i]
    }
}

/// About five round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + 1e-9 * step {
        out.push(if t.abs() < 1e-12 * step { 0.0 } else { t });
        t += step;
    }
    out
}

fn label(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.06).max(1e-9 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

fn header(svg: &mut String, title: &str) {
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
        W / 2.0,
        escape(title)
    );
}

/// `s` with the XML/HTML special characters &, <, > escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Box plots (median, quartiles, whiskers to the furthest value within 1.5 IQR, outliers as
/// dots) of each named group, side by side, for the descriptor `title` in `unit`.
pub fn box_plot(title: &str, unit: &str, groups: &[(&str, &[f64])]) -> String {
    let all: Vec<f64> = groups.iter().flat_map(|g| g.1.iter().copied()).collect();
    let (lo, hi) = padded(
        all.iter().copied().fold(f64::INFINITY, f64::min),
        all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (hi - v) / (hi - lo);
    let mut svg = String::new();
    header(&mut svg, title);
    axis_y(&mut svg, lo, hi, &y, unit);
    let slot = (W - LEFT - RIGHT) / groups.len() as f64;
    for (k, (name, values)) in groups.iter().enumerate() {
        let cx = LEFT + slot * (k as f64 + 0.5);
        let colour = COLOURS[k % COLOURS.len()];
        let _ = writeln!(
            svg,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} (n = {})</text>",
            H - BOTTOM + 18.0,
            escape(name),
            values.len()
        );
        if values.is_empty() {
            continue;
        }
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        let (q1, med, q3) = (quantile(&s, 0.25), quantile(&s, 0.5), quantile(&s, 0.75));
        let iqr = q3 - q1;
        let wlo = s
            .iter()
            .copied()
            .find(|&v| v >= q1 - 1.5 * iqr)
            .unwrap_or(q1);
        let whi = s
            .iter()
            .rev()
            .copied()
            .find(|&v| v <= q3 + 1.5 * iqr)
            .unwrap_or(q3);
        let bw = slot * 0.35;
        let _ = writeln!(
            svg,
            "<line x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\"/>\n\
             <line x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\"/>\n\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\" fill-opacity=\"0.25\" stroke=\"{colour}\"/>\n\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            y(whi), y(q3), y(q1), y(wlo),
            cx - bw / 2.0, y(q3), bw, (y(q1) - y(q3)).max(0.5),
            cx - bw / 2.0, cx + bw / 2.0, y(med), y(med)
        );
        for &v in s.iter().filter(|&&v| v < wlo || v > whi) {
            let _ = writeln!(
                svg,
                "<circle cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"none\" stroke=\"{colour}\"/>",
                y(v)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn axis_y(svg: &mut String, lo: f64, hi: f64, y: &dyn Fn(f64) -> f64, unit: &str) {
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"black\"/>",
        H - BOTTOM
    );
    for t in ticks(lo, hi) {
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{LEFT}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"black\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            LEFT - 6.0,
            y(t) + 4.0,
            label(t),
            y = y(t)
        );
    }
    let _ = writeln!(
        svg,
        "<text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (TOP + H - BOTTOM) / 2.0,
        escape(unit)
    );
}

fn axis_x(svg: &mut String, lo: f64, hi: f64, x: &dyn Fn(f64) -> f64, unit: &str) {
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{b:.1}\" y2=\"{b:.1}\" stroke=\"black\"/>",
        W - RIGHT,
        b = H - BOTTOM
    );
    for t in ticks(lo, hi) {
        let _ = writeln!(
            svg,
            "<line x1=\"{p:.1}\" x2=\"{p:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"black\"/>\
             <text x=\"{p:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 4.0,
            H - BOTTOM + 16.0,
            label(t),
            p = x(t)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 8.0,
        escape(unit)
    );
}

/// Line plot of named series of (x, y) points (one colour each, with a legend), axes
/// labelled `x_unit` and `y_unit`.
pub fn line_plot(
    title: &str,
    (x_unit, y_unit): (&str, &str),
    series: &[(&str, &[(f64, f64)])],
) -> String {
    let mut svg = String::new();
    header(&mut svg, title);
    let pts = || series.iter().flat_map(|s| s.1.iter().copied());
    if pts().next().is_none() {
        svg.push_str("</svg>\n");
        return svg;
    }
    let fold = |f: fn(&(f64, f64)) -> f64| {
        pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(f(&p)), b.max(f(&p)))
        })
    };
    let (x0, x1) = padded(fold(|p| p.0).0, fold(|p| p.0).1);
    let (y0, y1) = padded(fold(|p| p.1).0, fold(|p| p.1).1);
    let x = |v: f64| LEFT + (W - LEFT - RIGHT) * (v - x0) / (x1 - x0);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (y1 - v) / (y1 - y0);
    axis_y(&mut svg, y0, y1, &y, y_unit);
    axis_x(&mut svg, x0, x1, &x, x_unit);
    for (k, (name, points)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|&(u, v)| format!("{:.1},{:.1}", x(u), y(v)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            path.join(" "),
            LEFT + 8.0,
            TOP + 12.0 + 14.0 * k as f64,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Quantile-quantile plot: quantiles of `generated` (y) against those of `original` (x) at
/// min(n1, n2, 100) evenly spaced probabilities, with the identity line.
pub fn qq_plot(title: &str, unit: &str, original: &[f64], generated: &[f64]) -> String {
    let mut svg = String::new();
    header(&mut svg, title);
    let k = original.len().min(generated.len()).min(100);
    if k == 0 {
        svg.push_str("</svg>\n");
        return svg;
    }
    let (mut a, mut b) = (original.to_vec(), generated.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let probs: Vec<f64> = (0..k).map(|i| (i as f64 + 0.5) / k as f64).collect();
    let qa: Vec<f64> = probs.iter().map(|&p| quantile(&a, p)).collect();
    let qb: Vec<f64> = probs.iter().map(|&p| quantile(&b, p)).collect();
    let (lo, hi) = padded(
        qa.iter().chain(&qb).copied().fold(f64::INFINITY, f64::min),
        qa.iter()
            .chain(&qb)
            .copied()
            .fold(f64::NEG_INFINITY, f64::max),
    );
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (hi - v) / (hi - lo);
    let x = |v: f64| LEFT + (W - LEFT - RIGHT) * (v - lo) / (hi - lo);
    axis_y(&mut svg, lo, hi, &y, &format!("generated ({unit})"));
    axis_x(&mut svg, lo, hi, &x, &format!("original ({unit})"));
    let _ = writeln!(
        svg,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"grey\" stroke-dasharray=\"4 3\"/>",
        x(lo), y(lo), x(hi), y(hi)
    );
    for (u, v) in qa.iter().zip(&qb) {
        let _ = writeln!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{}\" fill-opacity=\"0.7\"/>",
            x(*u),
            y(*v),
            COLOURS[1]
        );
    }
    svg.push_str("</svg>\n");
    svg
}
