//! `calibrate` on files: the raw image and its labels as ImageJ hyperstacks, or as folders of
//! one TIFF per frame (the Cell Tracking Challenge's `01/t000.tif` beside
//! `01_GT/SEG/man_seg000.tif`; frames are matched by the number in their names, so sparse
//! ground truth keeps only its frames).

use crate::calibrate::{calibrate, CalibrateOptions, Profile};
use crate::error::{Error, Result};
use crate::io::{
    read_hyperstack_with, refuse_inputs_as_output, tiff_files_in, AnyStack, Axes, Hyperstack,
    OutputDir, ReadOptions,
};
use crate::progress::Progress;
use std::path::{Path, PathBuf};

/// The raw image at `raw` and its labels at `labels` (both hyperstack files, or both
/// folders of one TIFF per frame matched by frame number), `axes` overriding what the
/// planes are.
pub fn read_raw_and_labels(
    raw: &Path,
    labels: &Path,
    axes: Option<Axes>,
) -> Result<(AnyStack, Hyperstack<u32>)> {
    let read = |p: &Path| read_hyperstack_with(p, &ReadOptions::with_axes(axes));
    let (raw_stack, label_stack) = match (raw.is_dir(), labels.is_dir()) {
        (false, false) => (read(raw)?, read(labels)?),
        (true, true) => {
            let pairs = matched_frames(raw, labels)?;
            let mut rs = Vec::with_capacity(pairs.len());
            let mut ls = Vec::with_capacity(pairs.len());
            for (r, l) in &pairs {
                rs.push(read(r)?);
                ls.push(read(l)?);
            }
            (
                AnyStack::concat_frames(rs, &raw.display().to_string())?,
                AnyStack::concat_frames(ls, &labels.display().to_string())?,
            )
        }
        _ => {
            return Err(Error::invalid(
                "labels",
                format!(
                    "{} and {} must both be files or both be folders",
                    raw.display(),
                    labels.display()
                ),
            ))
        }
    };
    let labels = label_stack.into_labels(&labels.display().to_string())?;
    Ok((raw_stack, labels))
}

/// Measures the acquisition profile of the raw image at `raw` with the labels at `labels`
/// ([`read_raw_and_labels`]).
pub fn calibrate_files(
    raw: &Path,
    labels: &Path,
    axes: Option<Axes>,
    opts: &CalibrateOptions,
    progress: &dyn Progress,
) -> Result<Profile> {
    let (raw_stack, label_stack) = read_raw_and_labels(raw, labels, axes)?;
    calibrate(
        &raw_stack,
        &label_stack,
        (&raw.display().to_string(), &labels.display().to_string()),
        opts,
        progress,
    )
}

/// `cellsdf calibrate` (and C `csdf_calibrate`, Python `cellsdf.calibrate`): measures the
/// profile of `raw` with `labels` ([`calibrate_files`]) and writes it as JSON to `out`
/// ([`Profile::to_json`], byte for byte the same from every front end). `out` is never one
/// of the inputs, is claimed (operation "calibrate") before the work, and is not written
/// when the work fails; a file there that cellsdf did not write stops it unless `overwrite`.
pub fn calibrate_to_file(
    (raw, labels): (&Path, &Path),
    axes: Option<Axes>,
    opts: &CalibrateOptions,
    out: &Path,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<Profile> {
    if let Some(dt) = opts.frame_interval_s {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid(
                "interval-s",
                format!("is {dt}, must be a positive number of seconds"),
            ));
        }
    }
    if let Some(v) = opts.voxel_um {
        v.validate("voxel-um")?;
    }
    refuse_inputs_as_output(out, &[raw.to_path_buf(), labels.to_path_buf()], "out")?;
    // Claimed before the work; a run that fails takes the claim back (OutputDir's drop).
    let (mut dir, name) = OutputDir::for_file(out, "calibrate", overwrite)?;
    let profile = calibrate_files(raw, labels, axes, opts, progress)?;
    dir.write_bytes(&name, profile.to_json().as_bytes())?;
    Ok(profile)
}

/// Files `realism_report` writes into its folder.
pub const REALISM_FILES: [&str; 4] = [
    "realism.html",
    "realism.png",
    "real.profile.json",
    "simulated.profile.json",
];

/// `cellsdf realism`: calibrates the real acquisition `real` (raw, labels; `opts` as for
/// [`calibrate_files`]) and the simulated one `simulated` (e.g. a simulate dataset's `01/`
/// and `01_GT/SEG/`; its own calibration), compares their first frames
/// ([`crate::calibrate::realism::compare`]) and writes [`REALISM_FILES`] into `out`,
/// claimed (operation "realism") before the work and not written when it fails.
pub fn realism_report(
    real: (&Path, &Path),
    simulated: (&Path, &Path),
    axes: Option<Axes>,
    opts: &CalibrateOptions,
    out: &Path,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<crate::calibrate::realism::Realism> {
    use crate::calibrate::realism::{compare, Side};
    let inputs = [real.0, real.1, simulated.0, simulated.1].map(Path::to_path_buf);
    for name in REALISM_FILES {
        refuse_inputs_as_output(&out.join(name), &inputs, "out")?;
    }
    let mut dir = OutputDir::create(out, "realism", overwrite)?;
    dir.claim(&REALISM_FILES)?;
    let (raw_r, lab_r) = read_raw_and_labels(real.0, real.1, axes)?;
    let (raw_s, lab_s) = read_raw_and_labels(simulated.0, simulated.1, axes)?;
    let name = |p: &Path| p.display().to_string();
    let half = |f: f32, stage: &str| progress.report(0.5 * f, &format!("real: {stage}"));
    let p_real = calibrate(&raw_r, &lab_r, (&name(real.0), &name(real.1)), opts, &half)?;
    let rest =
        |f: f32, stage: &str| progress.report(0.5 + 0.45 * f, &format!("simulated: {stage}"));
    let p_sim = calibrate(
        &raw_s,
        &lab_s,
        (&name(simulated.0), &name(simulated.1)),
        &CalibrateOptions::default(),
        &rest,
    )?;
    let (f_r, f_s) = (raw_r.frame_f32(0), raw_s.frame_f32(0));
    let report = compare(
        &Side {
            image: f_r.view(),
            labels: lab_r.data.index_axis(ndarray::Axis(0), 0),
            profile: &p_real,
        },
        &Side {
            image: f_s.view(),
            labels: lab_s.data.index_axis(ndarray::Axis(0), 0),
            profile: &p_sim,
        },
    )?;
    dir.write_bytes("real.profile.json", p_real.to_json().as_bytes())?;
    dir.write_bytes("simulated.profile.json", p_sim.to_json().as_bytes())?;
    dir.write_bytes("realism.png", &report.png)?;
    dir.write_bytes("realism.html", report.html.as_bytes())?;
    crate::progress::check(progress, 1.0, "realism report")?;
    Ok(report)
}

fn frame_number(p: &Path) -> Option<u64> {
    let stem = p.file_stem()?.to_string_lossy().into_owned();
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// (raw, labels) file pairs of the frames both folders hold, in frame order.
fn matched_frames(raw: &Path, labels: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let numbered = |dir: &Path| -> Result<std::collections::BTreeMap<u64, PathBuf>> {
        Ok(tiff_files_in(dir, "")?
            .into_iter()
            .filter_map(|f| frame_number(&f).map(|n| (n, f)))
            .collect())
    };
    let r = numbered(raw)?;
    let l = numbered(labels)?;
    let pairs: Vec<_> = l
        .into_iter()
        .filter_map(|(n, lf)| r.get(&n).map(|rf| (rf.clone(), lf)))
        .collect();
    if pairs.is_empty() {
        return Err(Error::invalid(
            "labels",
            format!(
                "no frame number of {} matches a TIFF of {}",
                labels.display(),
                raw.display()
            ),
        ));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_numbers_are_the_last_digits() {
        assert_eq!(frame_number(Path::new("01/t012.tif")), Some(12));
        assert_eq!(frame_number(Path::new("man_seg0007.tif")), Some(7));
        assert_eq!(frame_number(Path::new("cells.tif")), None);
    }
}
