//! The Cell Tracking Challenge layout of one simulated sequence "01" in a dataset folder:
//! `01/tNNN.tif` (raw, uint16), `01_GT/SEG/man_segNNN.tif` (instance labels, every frame),
//! `01_GT/TRA/man_trackNNN.tif` and `01_GT/TRA/man_track.txt` ("L B E P" per track),
//! every TIFF a calibrated ImageJ hyperstack; frame numbers from 0 with 3 digits (4 from
//! 1,000 frames on). Files are claimed before any is written and written atomically; a
//! failed or cancelled run removes what it wrote.

use super::scene::Track;
use crate::error::Result;
use crate::io::{write_hyperstack, Hyperstack, OutputDir};
use crate::units::Calibration;
use ndarray::{Array3, Axis};
use std::path::{Path, PathBuf};

/// The folders of one sequence, their claimed files, and what was written so far.
pub(crate) struct CtcWriter {
    raw: OutputDir,
    seg: OutputDir,
    tra: OutputDir,
    digits: usize,
    calibration: Calibration,
    pub written: Vec<PathBuf>,
}

impl CtcWriter {
    /// Opens `dataset` for `frames` frames (claiming every file name up front).
    pub fn create(
        dataset: &Path,
        frames: usize,
        calibration: Calibration,
        overwrite: bool,
    ) -> Result<CtcWriter> {
        let digits = if frames > 1000 { 4 } else { 3 };
        let mut raw = OutputDir::create(&dataset.join("01"), "simulate", overwrite)?;
        let mut seg = OutputDir::create(&dataset.join("01_GT").join("SEG"), "simulate", overwrite)?;
        let mut tra = OutputDir::create(&dataset.join("01_GT").join("TRA"), "simulate", overwrite)?;
        let names = |prefix: &str| -> Vec<String> {
            (0..frames)
                .map(|t| format!("{prefix}{t:0digits$}.tif"))
                .collect()
        };
        raw.claim(&names("t"))?;
        seg.claim(&names("man_seg"))?;
        let mut tra_names = names("man_track");
        tra_names.push("man_track.txt".into());
        tra.claim(&tra_names)?;
        Ok(CtcWriter {
            raw,
            seg,
            tra,
            digits,
            calibration,
            written: Vec::new(),
        })
    }

    fn write(&mut self, path: PathBuf, stack: &Hyperstack<u16>) -> Result<()> {
        write_hyperstack(&path, stack)?;
        self.written.push(path);
        Ok(())
    }

    /// Writes frame `t`: the raw image and its labels (one stack, as SEG and as TRA).
    pub fn frame(&mut self, t: usize, raw: Array3<u16>, labels: Array3<u16>) -> Result<()> {
        let d = self.digits;
        let stack = |v: Array3<u16>| Hyperstack::new(v.insert_axis(Axis(0)), self.calibration);
        let (raw, labels) = (stack(raw), stack(labels));
        self.write(self.raw.path(&format!("t{t:0d$}.tif")), &raw)?;
        self.write(self.seg.path(&format!("man_seg{t:0d$}.tif")), &labels)?;
        self.write(self.tra.path(&format!("man_track{t:0d$}.tif")), &labels)
    }

    /// Writes man_track.txt.
    pub fn tracks(&mut self, tracks: &[Track]) -> Result<()> {
        let text = super::scene::man_track_text(tracks);
        let p = self.tra.write_bytes("man_track.txt", text.as_bytes())?;
        self.written.push(p);
        Ok(())
    }

    /// Keeps the files (the run succeeded).
    pub fn finish(mut self) {
        for d in [&mut self.raw, &mut self.seg, &mut self.tra] {
            d.keep_claims();
        }
    }

    /// Removes what this run wrote (it failed or was cancelled).
    pub fn abandon(self) {
        for p in &self.written {
            let _ = std::fs::remove_file(p);
        }
    }
}
