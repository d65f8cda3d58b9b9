//! The realism report: a real acquisition beside a simulated one (`cellsdf realism`). One
//! picture (the middle slice and the maximum projection along z of each first frame, at the
//! real image's display range), intensity histograms of foreground and background with the
//! Kolmogorov-Smirnov distance between real and simulated, the two noise curves, the two
//! texture autocorrelations, and every profile value side by side with its relative
//! difference. Images are [z, y, x] first frames; intensities in ADU.

use super::Profile;
use crate::describe::{escape, line_plot};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView3, Axis};
use std::fmt::Write;

/// Histogram bins over the two images' joint range.
const BINS: usize = 128;

/// One first frame and its labels (0 background), with its profile.
pub struct Side<'a> {
    pub image: ArrayView3<'a, f32>,
    pub labels: ArrayView3<'a, u32>,
    pub profile: &'a Profile,
}

/// A profile value of both sides: its JSON path, real, simulated, (sim - real) / |real|
/// (None where the real value is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    pub name: String,
    pub real: f64,
    pub simulated: f64,
    pub relative_difference: Option<f64>,
}

/// What the report shows.
pub struct Realism {
    pub rows: Vec<ValueRow>,
    /// Kolmogorov-Smirnov distance (largest difference of the cumulative histograms) of
    /// the foreground and of the background intensities, real against simulated.
    pub foreground_ks: f64,
    pub background_ks: f64,
    /// The picture (PNG, RGB): real on top, simulated below; slice left, projection right.
    pub png: Vec<u8>,
    /// The page (HTML), showing `realism.png`.
    pub html: String,
}

/// Every numeric value of a profile by its JSON path (`camera.gain_adu_per_photon`), lists
/// indexed (`texture.autocorrelation.0`).
pub fn profile_values(p: &Profile) -> Vec<(String, f64)> {
    fn walk(v: &serde_json::Value, path: String, out: &mut Vec<(String, f64)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(v, p, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{path}.{i}"), out);
                }
            }
            serde_json::Value::Number(n) => out.extend(n.as_f64().map(|x| (path, x))),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &serde_json::to_value(p).expect("a profile serialises"),
        String::new(),
        &mut out,
    );
    out
}

/// Compares `real` with `simulated`.
pub fn compare(real: &Side, simulated: &Side) -> Result<Realism> {
    let sim_values: std::collections::BTreeMap<String, f64> =
        profile_values(simulated.profile).into_iter().collect();
    let rows: Vec<ValueRow> = profile_values(real.profile)
        .into_iter()
        .filter_map(|(name, r)| {
            sim_values.get(&name).map(|&s| ValueRow {
                relative_difference: (r != 0.0).then(|| (s - r) / r.abs()),
                name,
                real: r,
                simulated: s,
            })
        })
        .collect();
    let range = joint_range(real.image, simulated.image);
    let hist = |side: &Side, fg: bool| histogram(side.image, side.labels, fg, range);
    let (fr, fs) = (hist(real, true), hist(simulated, true));
    let (br, bs) = (hist(real, false), hist(simulated, false));
    let foreground_ks = ks_distance(&fr, &fs);
    let background_ks = ks_distance(&br, &bs);
    let png = picture(real.image, simulated.image)?;
    let centres: Vec<f64> = (0..BINS)
        .map(|i| range.0 + (i as f64 + 0.5) * (range.1 - range.0) / BINS as f64)
        .collect();
    let density = |h: &[f64]| -> Vec<(f64, f64)> {
        let n: f64 = h.iter().sum::<f64>().max(1.0);
        centres.iter().zip(h).map(|(&c, &v)| (c, v / n)).collect()
    };
    let curve = |p: &Profile| -> Vec<(f64, f64)> {
        (0..=20)
            .map(|i| {
                let m = range.0 + (range.1 - range.0) * i as f64 / 20.0;
                let c = &p.camera;
                (m, (c.noise_slope * m + c.noise_intercept_adu2).max(0.0))
            })
            .collect()
    };
    let acf = |p: &Profile| -> Vec<(f64, f64)> {
        let dx = p.field.voxel_um.x;
        std::iter::once((0.0, 1.0))
            .chain(
                p.texture
                    .autocorrelation
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| ((i + 1) as f64 * dx, r)),
            )
            .collect()
    };
    let plots = [
        line_plot(
            &format!("foreground intensities (KS distance {foreground_ks:.3})"),
            ("intensity (ADU)", "fraction of voxels"),
            &[("real", &density(&fr)), ("simulated", &density(&fs))],
        ),
        line_plot(
            &format!("background intensities (KS distance {background_ks:.3})"),
            ("intensity (ADU)", "fraction of voxels"),
            &[("real", &density(&br)), ("simulated", &density(&bs))],
        ),
        line_plot(
            "noise curves (photon transfer)",
            ("mean (ADU)", "noise variance (ADU^2)"),
            &[
                ("real", &curve(real.profile)),
                ("simulated", &curve(simulated.profile)),
            ],
        ),
        line_plot(
            "texture autocorrelation along x",
            ("lag (um)", "autocorrelation"),
            &[
                ("real", &acf(real.profile)),
                ("simulated", &acf(simulated.profile)),
            ],
        ),
    ];
    let html = page(real.profile, simulated.profile, &rows, &plots);
    Ok(Realism {
        rows,
        foreground_ks,
        background_ks,
        png,
        html,
    })
}

fn joint_range(a: ArrayView3<f32>, b: ArrayView3<f32>) -> (f64, f64) {
    let (lo, hi) = a
        .iter()
        .chain(b.iter())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    (lo as f64, (hi as f64).max(lo as f64 + 1.0))
}

/// Counts of the foreground (labelled) or background voxels' intensities in [`BINS`] bins
/// over `range`.
fn histogram(
    image: ArrayView3<f32>,
    labels: ArrayView3<u32>,
    foreground: bool,
    (lo, hi): (f64, f64),
) -> Vec<f64> {
    let mut h = vec![0f64; BINS];
    ndarray::Zip::from(image).and(labels).for_each(|&v, &l| {
        if (l != 0) == foreground {
            let k = ((v as f64 - lo) / (hi - lo) * BINS as f64) as usize;
            h[k.min(BINS - 1)] += 1.0;
        }
    });
    h
}

/// Largest difference of the two normalised cumulative histograms (0 where one is empty).
fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let (mut ca, mut cb, mut d) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        ca += x / na;
        cb += y / nb;
        d = d.max((ca - cb).abs());
    }
    d
}

/// The middle slice and the maximum projection along z of each image, grey from the real
/// image's 1st to 99.8th percentile: real on top, simulated below, 4 white pixels apart.
fn picture(real: ArrayView3<f32>, sim: ArrayView3<f32>) -> Result<Vec<u8>> {
    let views = |v: ArrayView3<f32>| -> [Array2<f32>; 2] {
        let slice = v.index_axis(Axis(0), v.dim().0 / 2).to_owned();
        let mip = v.map_axis(Axis(0), |l| {
            l.iter().copied().fold(f32::NEG_INFINITY, f32::max)
        });
        [slice, mip]
    };
    let rows = [views(real), views(sim)];
    let mut sorted: Vec<f32> = real.iter().copied().collect();
    sorted.sort_unstable_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    let (lo, hi) = (at(0.01), at(0.998));
    let span = (hi - lo).max(f32::MIN_POSITIVE);
    const GAP: usize = 4;
    let col_w = rows.iter().map(|r| r[0].dim().1).max().unwrap_or(1);
    let row_h: Vec<usize> = rows.iter().map(|r| r[0].dim().0).collect();
    let (w, h) = (2 * col_w + GAP, row_h.iter().sum::<usize>() + GAP);
    if (w as u64) * (h as u64) > 1 << 28 {
        return Err(Error::invalid(
            "picture",
            format!("{w} x {h} pixels is too large"),
        ));
    }
    let mut rgb = vec![255u8; w * h * 3];
    let mut y0 = 0;
    for (r, views) in rows.iter().enumerate() {
        for (c, img) in views.iter().enumerate() {
            let x0 = c * (col_w + GAP);
            for ((y, x), &v) in img.indexed_iter() {
                let g = ((v - lo) / span * 255.0).round().clamp(0.0, 255.0) as u8;
                let i = ((y0 + y) * w + x0 + x) * 3;
                rgb[i..i + 3].copy_from_slice(&[g, g, g]);
            }
        }
        y0 += row_h[r] + GAP;
    }
    crate::simulate::preview::rgb_png(w as u32, h as u32, &rgb, "picture")
}

fn page(real: &Profile, sim: &Profile, rows: &[ValueRow], plots: &[String]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cellsdf realism report</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}\
         .miss{{background:#fde0dc}}</style></head><body>\n<h1>Real against simulated</h1>\n\
         <p>real: {} with {}<br>simulated: {} with {}</p>\n\
         <p><img src=\"realism.png\" alt=\"real (top) and simulated (bottom): middle slice \
         (left) and maximum projection along z (right) of the first frame, at the real \
         image's display range\"><br><i>Real (top) and simulated (bottom): the first frame's \
         middle slice (left) and maximum projection along z (right), both at the real \
         image's display range (1st to 99.8th percentile).</i></p>\n",
        escape(&real.source.raw),
        escape(&real.source.labels),
        escape(&sim.source.raw),
        escape(&sim.source.labels)
    );
    for p in plots {
        h.push_str(p);
    }
    h.push_str(
        "<h2>Profile values</h2>\n<p>Relative difference (simulated - real) / |real|; \
         shaded beyond 10 %.</p>\n<table><tr><th>value</th><th>real</th><th>simulated</th>\
         <th>difference</th></tr>\n",
    );
    for r in rows {
        let (cls, diff) = match r.relative_difference {
            Some(d) => (
                if d.abs() > 0.1 { " class=\"miss\"" } else { "" },
                format!("{:+.1} %", 100.0 * d),
            ),
            None => ("", "".into()),
        };
        let _ = writeln!(
            h,
            "<tr{cls}><td>{}</td><td>{}</td><td>{}</td><td>{diff}</td></tr>",
            escape(&r.name),
            fmt(r.real),
            fmt(r.simulated)
        );
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

fn fmt(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_of_shifted_histograms() {
        assert_eq!(ks_distance(&[1.0, 0.0, 0.0], &[1.0, 0.0, 0.0]), 0.0);
        assert_eq!(ks_distance(&[1.0, 0.0], &[0.0, 1.0]), 1.0);
        assert!((ks_distance(&[1.0, 1.0, 0.0], &[0.0, 1.0, 1.0]) - 0.5).abs() < 1e-12);
    }
}
