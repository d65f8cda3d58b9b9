//! Where label frames come from: a label or mask hyperstack held in memory, or a Cell
//! Tracking Challenge folder with one TIFF per time point and its lineage table.

use crate::error::{Error, Result};
use crate::io::{read_hyperstack, read_labels, read_labels_with, Axes, ReadOptions};
use crate::units::VoxelSize;
use ndarray::{Array3, Array4, ArrayView3, Axis};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One track of a CTC `man_track.txt`: label L lives from frame `begin` to `end`
/// (inclusive) and descends from `parent` (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Track {
    pub label: u32,
    pub begin: usize,
    pub end: usize,
    pub parent: u32,
}

/// Label frames ([z, y, x], u32, 0 = background) over time.
pub enum LabelSource {
    /// A (t, z, y, x) label or mask image in memory; labels keep their id over time.
    Stack { path: PathBuf, data: Array4<u32> },
    /// A CTC folder: files by time index, and the lineage.
    Ctc {
        path: PathBuf,
        files: BTreeMap<usize, PathBuf>,
        tracks: Vec<Track>,
        dims: (usize, usize, usize),
    },
}

/// A label source with its calibration.
pub struct Source {
    pub labels: LabelSource,
    pub voxel_um: VoxelSize,
    pub frame_interval_s: Option<f64>,
}

impl Source {
    /// Opens `path`: a TIFF file (label hyperstack, mask hyperstack or static 3D labels) or a
    /// CTC folder. `voxel_override` is used when given, else the file's calibration; a file
    /// without one is an error that asks for `--voxel-um`. `axes` overrides what the planes
    /// of a TIFF file mean (CTC frames are single time points and ignore it).
    pub fn open(
        path: &Path,
        voxel_override: Option<VoxelSize>,
        axes: Option<Axes>,
    ) -> Result<Source> {
        if path.is_dir() {
            return open_ctc(path, voxel_override);
        }
        let labels = read_labels_with(path, &ReadOptions::with_axes(axes))?;
        let cal = labels.calibration;
        let voxel_um = voxel_override
            .or(cal.voxel_um)
            .ok_or_else(|| no_voxel(path))?;
        Ok(Source {
            labels: LabelSource::Stack {
                path: path.to_path_buf(),
                data: labels.data,
            },
            voxel_um,
            frame_interval_s: cal.frame_interval_s,
        })
    }

    pub fn path(&self) -> &Path {
        match &self.labels {
            LabelSource::Stack { path, .. } | LabelSource::Ctc { path, .. } => path,
        }
    }

    /// Time indices that have a frame, ascending.
    pub fn times(&self) -> Vec<usize> {
        match &self.labels {
            LabelSource::Stack { data, .. } => (0..data.len_of(Axis(0))).collect(),
            LabelSource::Ctc { files, .. } => files.keys().copied().collect(),
        }
    }

    /// The label frame at time index `t`, [z, y, x].
    pub fn frame(&self, t: usize) -> Result<Array3<u32>> {
        match &self.labels {
            LabelSource::Stack { data, .. } => Ok(data.index_axis(Axis(0), t).to_owned()),
            LabelSource::Ctc { files, dims, .. } => {
                let file = &files[&t];
                let labels = read_labels(file)?;
                let (ft, z, y, x) = labels.dims();
                if ft != 1 || (z, y, x) != *dims {
                    return Err(Error::format(
                        file,
                        format!(
                            "frame is {x}x{y}x{z} (x, y, z) with {ft} time points, but the first frame of the folder is {}x{}x{} with 1",
                            dims.2, dims.1, dims.0
                        ),
                    ));
                }
                Ok(labels.data.index_axis_move(Axis(0), 0))
            }
        }
    }
}

impl Source {
    /// Labels (z, y, x) of frame `t`: a view of the stack in memory, or of the CTC frame
    /// read into `owned`.
    fn frame_view<'a>(
        &'a self,
        t: usize,
        owned: &'a mut Option<Array3<u32>>,
    ) -> Result<ArrayView3<'a, u32>> {
        Ok(match &self.labels {
            LabelSource::Stack { data, .. } => data.index_axis(Axis(0), t),
            LabelSource::Ctc { .. } => owned.insert(self.frame(t)?).view(),
        })
    }

    /// Calls `f(z, y, x)` for every voxel of frame `t` whose label is in `labels`, within
    /// the inclusive index box `lo`..=`hi` ([z, y, x]; clipped to the image).
    pub fn for_each_voxel(
        &self,
        t: usize,
        labels: &[u32],
        lo: [usize; 3],
        hi: [usize; 3],
        mut f: impl FnMut(usize, usize, usize),
    ) -> Result<()> {
        let mut owned = None;
        let frame = self.frame_view(t, &mut owned)?;
        let (nz, ny, nx) = frame.dim();
        let (z1, y1, x1) = (hi[0].min(nz - 1), hi[1].min(ny - 1), hi[2].min(nx - 1));
        for z in lo[0]..=z1 {
            for y in lo[1]..=y1 {
                for x in lo[2]..=x1 {
                    let v = frame[[z, y, x]];
                    if v != 0 && labels.contains(&v) {
                        f(z, y, x);
                    }
                }
            }
        }
        Ok(())
    }

    /// Mask of the voxels whose label is in `labels`, over the index region `origin` (z, y,
    /// x; may be negative) of `shape`: voxels outside the image are background.
    pub fn crop_mask(
        &self,
        t: usize,
        labels: &[u32],
        origin: [i64; 3],
        shape: [usize; 3],
    ) -> Result<Array3<bool>> {
        let mut owned = None;
        let frame = self.frame_view(t, &mut owned)?;
        let (nz, ny, nx) = frame.dim();
        Ok(Array3::from_shape_fn(
            (shape[0], shape[1], shape[2]),
            |(z, y, x)| {
                let (sz, sy, sx) = (
                    z as i64 + origin[0],
                    y as i64 + origin[1],
                    x as i64 + origin[2],
                );
                if sz < 0
                    || sy < 0
                    || sx < 0
                    || sz >= nz as i64
                    || sy >= ny as i64
                    || sx >= nx as i64
                {
                    return false;
                }
                let v = frame[[sz as usize, sy as usize, sx as usize]];
                v != 0 && labels.contains(&v)
            },
        ))
    }
}

fn no_voxel(path: &Path) -> Error {
    Error::invalid(
        "voxel-um",
        format!(
            "{} carries no physical voxel size; give one with --voxel-um X,Y,Z",
            path.display()
        ),
    )
}

/// Files of a CTC folder: `TRA/man_track####.tif` (preferred), `SEG/man_seg###.tif` or
/// `mask###.tif`, in the folder itself or in TRA/ and SEG/; `man_track.txt` beside them.
fn open_ctc(dir: &Path, voxel_override: Option<VoxelSize>) -> Result<Source> {
    let candidates = [
        (dir.join("TRA"), "man_track"),
        (dir.to_path_buf(), "man_track"),
        (dir.join("SEG"), "man_seg"),
        (dir.to_path_buf(), "man_seg"),
        (dir.to_path_buf(), "mask"),
        (dir.join("SEG"), "mask"),
    ];
    let mut files = BTreeMap::new();
    for (folder, prefix) in &candidates {
        files = numbered_tiffs(folder, prefix)?;
        if !files.is_empty() {
            break;
        }
    }
    if files.is_empty() {
        return Err(Error::invalid(
            "input",
            format!(
                "{} is a folder without label files: expected TRA/man_track####.tif, SEG/man_seg###.tif or mask###.tif (or give TIFF files)",
                dir.display()
            ),
        ));
    }
    let track_file = [dir.join("TRA/man_track.txt"), dir.join("man_track.txt")]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| {
            Error::invalid(
                "input",
                format!(
                    "{}: no man_track.txt (in the folder or TRA/)",
                    dir.display()
                ),
            )
        })?;
    let tracks = parse_man_track(&track_file)?;
    let (lo, hi) = (
        *files.keys().next().expect("not empty"),
        *files.keys().next_back().expect("not empty"),
    );
    if let Some(t) = tracks.iter().find(|t| t.begin < lo || t.end > hi) {
        return Err(Error::format(
            &track_file,
            format!(
                "track {} spans frames {} to {}, but the folder's frames run from {lo} to {hi}",
                t.label, t.begin, t.end
            ),
        ));
    }
    let first = files.values().next().expect("not empty");
    let stack = read_hyperstack(first)?;
    let cal = stack.calibration();
    let (ft, z, y, x) = stack.dims();
    if ft != 1 {
        return Err(Error::format(first, "a CTC frame must hold one time point"));
    }
    let voxel_um = voxel_override
        .or(cal.voxel_um)
        .ok_or_else(|| no_voxel(first))?;
    Ok(Source {
        labels: LabelSource::Ctc {
            path: dir.to_path_buf(),
            files,
            tracks,
            dims: (z, y, x),
        },
        voxel_um,
        frame_interval_s: cal.frame_interval_s,
    })
}

/// `<prefix><digits>.tif` files of `folder` by their number.
fn numbered_tiffs(folder: &Path, prefix: &str) -> Result<BTreeMap<usize, PathBuf>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Ok(out);
    };
    for e in entries {
        let p = e.map_err(|e| Error::io(folder, e))?.path();
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let stem = name
            .strip_suffix(".tif")
            .or_else(|| name.strip_suffix(".tiff"));
        if let Some(num) = stem.and_then(|s| s.strip_prefix(prefix)) {
            if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) {
                let t: usize = num
                    .parse()
                    .map_err(|_| Error::format(&p, "time index in the file name is too large"))?;
                out.insert(t, p);
            }
        }
    }
    Ok(out)
}

/// Parses `man_track.txt`: one "L B E P" line per track, whitespace-separated integers.
pub fn parse_man_track(path: &Path) -> Result<Vec<Track>> {
    // A lineage table of a million tracks is about 20 MB; anything far larger is not one.
    const LIMIT: u64 = 256 << 20;
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if size > LIMIT {
        return Err(Error::format(
            path,
            format!("{size} bytes is too large for a man_track.txt (limit 256 MB)"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::format(path, "not a text file (invalid UTF-8)"))?;
    parse_man_track_text(&text, path)
}

/// Parses the text of a `man_track.txt`; `path` names it in errors.
pub fn parse_man_track_text(text: &str, path: &Path) -> Result<Vec<Track>> {
    let mut tracks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Vec<u64> = line
            .split_whitespace()
            .map(|s| s.parse::<u64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                Error::format(
                    path,
                    format!(
                        "line {}: expected 4 integers 'L B E P', got {line:?}",
                        i + 1
                    ),
                )
            })?;
        let [l, b, e, p] = v[..] else {
            return Err(Error::format(
                path,
                format!(
                    "line {}: expected 4 integers 'L B E P', got {line:?}",
                    i + 1
                ),
            ));
        };
        if l == 0 || e < b || l > u32::MAX as u64 || p > u32::MAX as u64 || e >= u32::MAX as u64 {
            return Err(Error::format(
                path,
                format!("line {}: invalid track {line:?}", i + 1),
            ));
        }
        tracks.push(Track {
            label: l as u32,
            begin: b as usize,
            end: e as usize,
            parent: p as u32,
        });
    }
    Ok(tracks)
}
