//! A picture of one simulated frame for a look (and the README), as in the paper's Fig. 4:
//! the maximum-intensity projection of the raw image along z, contrast-stretched to 8 bits,
//! beside the same with the ground truth's outlines (projected labels) in orange. PNG, RGB.

use crate::error::{Error, Result};
use ndarray::{Array2, Array3, Axis};

/// The PNG bytes of the preview of `raw` with `labels` ([z, y, x] each).
pub fn preview_png(raw: &Array3<u16>, labels: &Array3<u16>) -> Result<Vec<u8>> {
    let mip: Array2<u16> = raw.map_axis(Axis(0), |l| l.iter().copied().max().unwrap_or(0));
    let top: Array2<u16> = labels.map_axis(Axis(0), |l| l.iter().copied().max().unwrap_or(0));
    let (ny, nx) = mip.dim();
    // Stretched between the 1st and the 99.8th percentile (a few bright noise pixels do
    // not set the scale).
    let mut sorted: Vec<u16> = mip.iter().copied().collect();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize] as f32;
    let (lo, hi) = (at(0.01), at(0.998));
    let span = (hi - lo).max(1.0);
    let gray = |y: usize, x: usize| {
        ((mip[[y, x]] as f32 - lo) / span * 255.0)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    let outline = |y: usize, x: usize| {
        let l = top[[y, x]];
        l > 0
            && [(0i64, 1i64), (1, 0), (0, -1), (-1, 0)]
                .iter()
                .any(|&(dy, dx)| {
                    let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                    yy < 0
                        || xx < 0
                        || yy >= ny as i64
                        || xx >= nx as i64
                        || top[[yy as usize, xx as usize]] != l
                })
    };
    let mut rgb = Vec::with_capacity(ny * 2 * nx * 3);
    for y in 0..ny {
        for x in 0..nx {
            let g = gray(y, x);
            rgb.extend([g, g, g]);
        }
        for x in 0..nx {
            let g = gray(y, x);
            rgb.extend(if outline(y, x) {
                [255, 110, 0]
            } else {
                [g, g, g]
            });
        }
    }
    rgb_png((2 * nx) as u32, ny as u32, &rgb, "preview")
}

/// The PNG bytes of an 8-bit RGB image of `width` x `height` pixels (`rgb` row by row);
/// `what` names it in an error.
pub(crate) fn rgb_png(width: u32, height: u32, rgb: &[u8], what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let err = |e: png::EncodingError| Error::invalid(what, e.to_string());
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(rgb).map_err(err)?;
    }
    Ok(bytes)
}
