//! The cells' statistics over the frames: brightness spread, interior texture (amplitude and
//! correlation along x), signal against depth and time, cells per frame, volumes, motion of
//! tracked labels, and the background's slow variation. Values are gathered frame by frame
//! ([`Accumulator::frame`]) and the camera noise is removed at the end
//! ([`Accumulator::finish`]), once the noise curve is known.

use crate::units::VoxelSize;
use ndarray::{ArrayView3, Axis};
use std::collections::BTreeMap;

/// Lags (voxels along x) of the texture's autocorrelation.
const LAGS: usize = 6;
/// Interior voxels a cell needs in a frame to count for brightness and texture.
const MIN_INTERIOR: usize = 20;
/// Side of the blocks whose means give the background's slow variation (pixels).
const BLOCK: usize = 16;

/// Mean of `image` over each label's voxels where `interior` holds.
pub(super) fn label_means(
    image: ArrayView3<f32>,
    labels: ArrayView3<u32>,
    interior: ArrayView3<bool>,
) -> BTreeMap<u32, f64> {
    let mut sums: BTreeMap<u32, (f64, usize)> = BTreeMap::new();
    ndarray::Zip::from(image)
        .and(labels)
        .and(interior)
        .for_each(|&v, &l, &i| {
            if l != 0 && i {
                let e = sums.entry(l).or_default();
                e.0 += v as f64;
                e.1 += 1;
            }
        });
    sums.into_iter()
        .map(|(l, (s, n))| (l, s / n as f64))
        .collect()
}

/// One cell in one frame: interior voxels, mean (ADU), signal over the background (ADU),
/// the sum of squared deviations from the mean (ADU^2), and per lag the sum of products of
/// relative deviations and the pair count.
struct CellFrame {
    n: usize,
    mean: f64,
    signal: f64,
    ss: f64,
    lag_sum: [f64; LAGS],
    lag_n: [usize; LAGS],
}

/// A block of background: pixels, mean (ADU) and its deviation from the slice's mean.
struct Block {
    n: usize,
    mean: f64,
    dev: f64,
}

#[derive(Default)]
pub(super) struct Accumulator {
    /// (frame, label, the cell in that frame).
    cells: Vec<(usize, u32, CellFrame)>,
    counts: Vec<usize>,
    volumes_um3: Vec<f64>,
    /// Sums over interior voxels of dz (relative signal - 1) and dz^2, dz the depth about
    /// the voxel's cell's mean depth (um).
    depth: (f64, f64),
    blocks: Vec<Block>,
    bg_means: Vec<f64>,
    centroids: Vec<BTreeMap<u32, [f64; 3]>>,
}

/// What [`Accumulator::finish`] gives.
pub(super) struct Stats {
    pub cells_first_frame: usize,
    pub cells_per_frame: f64,
    pub mean_volume_um3: f64,
    pub brightness_cv: f64,
    pub brightness_log_sd: f64,
    pub texture_amplitude: f64,
    pub texture_correlation_um: f64,
    pub autocorrelation: Vec<f64>,
    pub attenuation_per_um: f64,
    pub bleach_per_frame: f64,
    pub slow_sd_relative: f64,
    pub step_um: Option<[f64; 3]>,
}

impl Accumulator {
    /// Adds frame `t`: `image` and `labels` ([z, y, x]), the cells' `interior` voxels, the
    /// `background` voxels and their mean.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn frame(
        &mut self,
        t: usize,
        image: ArrayView3<f32>,
        labels: ArrayView3<u32>,
        interior: ArrayView3<bool>,
        background: &ndarray::Array3<bool>,
        bg_mean: f64,
        voxel: VoxelSize,
    ) {
        let (nz, ny, nx) = image.dim();
        // Per label: all voxels and their centroid (um), for counts, volumes and motion.
        let mut all: BTreeMap<u32, (usize, [f64; 3])> = BTreeMap::new();
        for ((z, y, x), &l) in labels.indexed_iter() {
            if l != 0 {
                let e = all.entry(l).or_default();
                e.0 += 1;
                e.1[0] += x as f64 * voxel.x;
                e.1[1] += y as f64 * voxel.y;
                e.1[2] += z as f64 * voxel.z;
            }
        }
        self.counts.push(all.len());
        self.volumes_um3
            .extend(all.values().map(|(n, _)| *n as f64 * voxel.volume_um3()));
        self.centroids.push(
            all.iter()
                .map(|(&l, (n, c))| (l, c.map(|v| v / *n as f64)))
                .collect(),
        );
        self.bg_means.push(bg_mean);

        let means = label_means(image, labels, interior);
        let mut frame_cells: BTreeMap<u32, CellFrame> = BTreeMap::new();
        for (&l, &mean) in &means {
            frame_cells.insert(
                l,
                CellFrame {
                    n: 0,
                    mean,
                    signal: mean - bg_mean,
                    ss: 0.0,
                    lag_sum: [0.0; LAGS],
                    lag_n: [0; LAGS],
                },
            );
        }
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let l = labels[[z, y, x]];
                    if l == 0 || !interior[[z, y, x]] {
                        continue;
                    }
                    let c = frame_cells
                        .get_mut(&l)
                        .expect("every interior label has a mean");
                    let r = image[[z, y, x]] as f64 - c.mean;
                    c.n += 1;
                    c.ss += r * r;
                    for d in 1..=LAGS {
                        let x2 = x + d;
                        if x2 < nx && labels[[z, y, x2]] == l && interior[[z, y, x2]] {
                            c.lag_sum[d - 1] += r * (image[[z, y, x2]] as f64 - c.mean);
                            c.lag_n[d - 1] += 1;
                        }
                    }
                }
            }
        }
        let kept: Vec<(u32, CellFrame)> = frame_cells
            .into_iter()
            .filter(|(_, c)| c.n >= MIN_INTERIOR && c.signal > 0.0)
            .collect();
        // Depth: within each cell, its interior voxels' signal relative to the cell's own
        // against their depth about the cell's mean depth (um), so that cells of other
        // brightness at other depths do not pass for attenuation.
        let signal: BTreeMap<u32, f64> = kept.iter().map(|(k, c)| (*k, c.signal)).collect();
        let mut zsum: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
        for ((z, y, x), &l) in labels.indexed_iter() {
            if l != 0 && interior[[z, y, x]] && signal.contains_key(&l) {
                let e = zsum.entry(l).or_default();
                e.0 += z as f64 * voxel.z;
                e.1 += 1.0;
            }
        }
        for ((z, y, x), &l) in labels.indexed_iter() {
            if let (true, Some(s), Some((zs, n))) =
                (interior[[z, y, x]], signal.get(&l), zsum.get(&l))
            {
                let dz = z as f64 * voxel.z - zs / n;
                self.depth.0 += dz * ((image[[z, y, x]] as f64 - bg_mean) / s - 1.0);
                self.depth.1 += dz * dz;
            }
        }
        self.cells.extend(kept.into_iter().map(|(l, c)| (t, l, c)));

        // Slow background: block means about each slice's background mean.
        for z in 0..nz {
            let img = image.index_axis(Axis(0), z);
            let bg = background.index_axis(Axis(0), z);
            let (mut s, mut n) = (0f64, 0usize);
            ndarray::Zip::from(&img).and(&bg).for_each(|&v, &b| {
                if b {
                    s += v as f64;
                    n += 1;
                }
            });
            if n == 0 {
                continue;
            }
            let slice_mean = s / n as f64;
            for y0 in (0..ny.saturating_sub(BLOCK - 1)).step_by(BLOCK) {
                for x0 in (0..nx.saturating_sub(BLOCK - 1)).step_by(BLOCK) {
                    let (mut bs, mut bn) = (0f64, 0usize);
                    for y in y0..y0 + BLOCK {
                        for x in x0..x0 + BLOCK {
                            if bg[[y, x]] {
                                bs += img[[y, x]] as f64;
                                bn += 1;
                            }
                        }
                    }
                    if bn * 2 >= BLOCK * BLOCK {
                        let mean = bs / bn as f64;
                        self.blocks.push(Block {
                            n: bn,
                            mean,
                            dev: mean - slice_mean,
                        });
                    }
                }
            }
        }
    }

    /// The statistics, with `noise_var(mean)` (ADU^2) removed where it adds to a variance.
    pub(super) fn finish(
        self,
        noise_var: impl Fn(f64) -> f64,
        voxel: VoxelSize,
        frames: usize,
        notes: &mut Vec<String>,
    ) -> Stats {
        let cells_per_frame = mean(self.counts.iter().map(|&c| c as f64));
        let mean_volume_um3 = mean(self.volumes_um3.iter().copied());

        // Brightness relative to each frame's mean signal.
        let mut rel = Vec::new();
        for t in 0..frames {
            let s: Vec<f64> = self
                .cells
                .iter()
                .filter(|(f, _, _)| *f == t)
                .map(|(_, _, c)| c.signal)
                .collect();
            let m = mean(s.iter().copied());
            rel.extend(s.iter().map(|v| v / m));
        }
        let (rm, rsd) = mean_and_sd(&rel);
        let logs: Vec<f64> = rel.iter().map(|v| v.ln()).collect();
        let (_, log_sd) = mean_and_sd(&logs);
        if rel.len() < 2 {
            notes.push("fewer than two cells with an interior: no brightness spread".into());
        }

        // Texture, relative to each cell's signal, with the noise variance removed.
        let (mut var_sum, mut n_sum) = (0f64, 0f64);
        let mut lag = [0f64; LAGS];
        let mut lag_n = [0f64; LAGS];
        for (_, _, c) in &self.cells {
            let s2 = c.signal * c.signal;
            var_sum += (c.ss - c.n as f64 * noise_var(c.mean)) / s2;
            n_sum += c.n as f64;
            for d in 0..LAGS {
                lag[d] += c.lag_sum[d] / s2;
                lag_n[d] += c.lag_n[d] as f64;
            }
        }
        let tex_var = if n_sum > 0.0 { var_sum / n_sum } else { 0.0 };
        let autocorrelation: Vec<f64> = (0..LAGS)
            .map(|d| {
                if lag_n[d] > 0.0 && tex_var > 0.0 {
                    lag[d] / lag_n[d] / tex_var
                } else {
                    0.0
                }
            })
            .collect();
        // ln rho(d) = -d^2 / (4 sigma^2), least squares through lags with 0.05 < rho < 1.
        let (mut num, mut den) = (0f64, 0f64);
        for (i, &r) in autocorrelation.iter().enumerate() {
            if r > 0.05 && r < 1.0 {
                let d2 = ((i + 1) as f64).powi(2);
                num += d2 * r.ln();
                den += d2 * d2;
            }
        }
        let correlation_vox = if num < 0.0 {
            (-den / (4.0 * num)).sqrt()
        } else {
            0.0
        };
        if tex_var <= 0.0 {
            notes.push("no texture above the noise in the cells' interiors".into());
        }

        // Depth: the within-cell slope of the relative signal, -d signal / dz, which is the
        // attenuation for exp(-k z) with k dz small.
        let attenuation_per_um = if self.depth.1 > 0.0 {
            0.0 - self.depth.0 / self.depth.1
        } else {
            0.0
        };

        // Time: the slope of ln signal against the frame within each label seen in two
        // frames or more (so that cells of other brightness coming and going do not pass
        // for bleaching), weighted by interior voxels; labels never kept over frames fall
        // back to each frame's mean signal.
        let mut by_label: BTreeMap<u32, Vec<(f64, f64, f64)>> = BTreeMap::new();
        for (t, l, c) in &self.cells {
            by_label
                .entry(*l)
                .or_default()
                .push((*t as f64, c.signal.ln(), c.n as f64));
        }
        let (mut sxy, mut sxx) = (0f64, 0f64);
        for pts in by_label.values().filter(|p| p.len() >= 2) {
            let w: f64 = pts.iter().map(|p| p.2).sum();
            let mt = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / w;
            let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / w;
            sxy += pts
                .iter()
                .map(|p| p.2 * (p.0 - mt) * (p.1 - my))
                .sum::<f64>();
            sxx += pts.iter().map(|p| p.2 * (p.0 - mt).powi(2)).sum::<f64>();
        }
        let mut tpts = Vec::new();
        for t in 0..frames {
            let (s, n) = self
                .cells
                .iter()
                .filter(|(f, _, _)| *f == t)
                .fold((0f64, 0usize), |(s, n), (_, _, c)| {
                    (s + c.signal * c.n as f64, n + c.n)
                });
            if n > 0 && s > 0.0 {
                tpts.push((t as f64, (s / n as f64).ln(), n as f64));
            }
        }
        let slope = if sxx > 0.0 {
            Some(sxy / sxx)
        } else {
            weighted_slope(&tpts)
        };
        let bleach_per_frame = 0.0 - slope.unwrap_or(0.0);
        if frames == 1 {
            notes.push("one frame: no bleaching or motion measured".into());
        }

        // Slow background: block deviations less each block mean's noise.
        let bg_mean = mean(self.bg_means.iter().copied());
        let slow = if self.blocks.is_empty() {
            0.0
        } else {
            let v = mean(
                self.blocks
                    .iter()
                    .map(|b| b.dev * b.dev - noise_var(b.mean) / b.n as f64),
            );
            v.max(0.0).sqrt() / bg_mean.abs().max(1e-12)
        };

        // Motion of labels present in consecutive frames.
        let mut steps = [0f64; 3];
        let mut n_steps = 0usize;
        for w in self.centroids.windows(2) {
            for (l, a) in &w[0] {
                if let Some(b) = w[1].get(l) {
                    for i in 0..3 {
                        steps[i] += (b[i] - a[i]).abs();
                    }
                    n_steps += 1;
                }
            }
        }
        Stats {
            cells_first_frame: self.counts.first().copied().unwrap_or(0),
            cells_per_frame,
            mean_volume_um3,
            brightness_cv: if rm > 0.0 { rsd / rm } else { 0.0 },
            brightness_log_sd: log_sd,
            texture_amplitude: tex_var.max(0.0).sqrt(),
            texture_correlation_um: correlation_vox * voxel.x,
            autocorrelation,
            attenuation_per_um,
            bleach_per_frame,
            slow_sd_relative: slow.min(1.0),
            step_um: (n_steps > 0).then(|| steps.map(|s| s / n_steps as f64)),
        }
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

fn mean_and_sd(v: &[f64]) -> (f64, f64) {
    if v.len() < 2 {
        return (mean(v.iter().copied()), 0.0);
    }
    let m = mean(v.iter().copied());
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    (m, var.sqrt())
}

/// Slope of the weighted least-squares line through (x, y, weight); None under two points.
fn weighted_slope(pts: &[(f64, f64, f64)]) -> Option<f64> {
    super::least_squares_line(pts).map(|(a, _)| a)
}
