//! Where a simulated sequence goes: the Cell Tracking Challenge layout of TIFFs
//! ([`super::ctc`]), or one OME-Zarr store `01.ome.zarr` (the raw image, uint16, with the
//! ground truth as its labels image `ground_truth`) and the tracks in CTC form,
//! `01_man_track.txt` ("L B E P"), beside it. Frames are written one at a time; the store
//! is moved into place when its last frame is written, before the manifest, so a dataset
//! with a manifest is complete. A failed or cancelled run removes what it wrote.

use super::ctc::CtcWriter;
use super::scene::Track;
use crate::error::Result;
use crate::io::{OmeZarrLayout, OmeZarrWriter, OutputDir, StoreSpec};
use crate::synth::SequenceFormat;
use crate::units::Calibration;
use ndarray::Array3;
use std::path::{Path, PathBuf};

/// Name of the OME-Zarr store of sequence 01 and of its track file.
const STORE: &str = "01.ome.zarr";
const TRACKS: &str = "01_man_track.txt";

/// An OME-Zarr sequence being written.
pub(crate) struct ZarrSink {
    store: Option<OmeZarrWriter>,
    dir: OutputDir,
    /// The store once moved into place.
    placed: Option<PathBuf>,
    pub written: Vec<PathBuf>,
}

/// A sequence's output, in either format.
pub(crate) enum Sink {
    Ctc(CtcWriter),
    Zarr(ZarrSink),
}

impl Sink {
    /// Opens the output of `frames` frames of `dims` (z, y, x) voxels under `root`,
    /// claiming its names (existing files cellsdf did not write stop it unless `overwrite`).
    pub fn create(
        root: &Path,
        (format, layout): (SequenceFormat, OmeZarrLayout),
        frames: usize,
        dims: [usize; 3],
        calibration: Calibration,
        overwrite: bool,
    ) -> Result<Sink> {
        Ok(match format {
            SequenceFormat::Tiff => {
                Sink::Ctc(CtcWriter::create(root, frames, calibration, overwrite)?)
            }
            SequenceFormat::OmeZarr => {
                let mut dir = OutputDir::create(root, "simulate", overwrite)?;
                dir.claim(&[STORE, TRACKS])?;
                let spec = StoreSpec {
                    frames,
                    dims,
                    calibration,
                    labels: Some("ground_truth"),
                    mask: false,
                    layout,
                };
                let store = OmeZarrWriter::create::<u16>(&dir.path(STORE), &spec, true)?;
                Sink::Zarr(ZarrSink {
                    store: Some(store),
                    dir,
                    placed: None,
                    written: Vec::new(),
                })
            }
        })
    }

    /// Writes frame `t`: the raw image and its labels.
    pub fn frame(&mut self, t: usize, raw: Array3<u16>, labels: Array3<u16>) -> Result<()> {
        match self {
            Sink::Ctc(w) => w.frame(t, raw, labels),
            Sink::Zarr(z) => match z.store.as_mut() {
                Some(s) => s.frame(t, raw.view(), Some(labels.view())),
                None => Err(crate::Error::invalid(
                    "frame",
                    "the store is already complete",
                )),
            },
        }
    }

    /// Writes the tracks (after the last frame; an OME-Zarr store is moved into place).
    pub fn tracks(&mut self, tracks: &[Track]) -> Result<()> {
        match self {
            Sink::Ctc(w) => w.tracks(tracks),
            Sink::Zarr(z) => {
                if let Some(s) = z.store.take() {
                    z.placed = Some(s.finish()?);
                }
                let text = super::scene::man_track_text(tracks);
                let p = z.dir.write_bytes(TRACKS, text.as_bytes())?;
                z.written.push(p);
                Ok(())
            }
        }
    }

    /// Files written so far (the manifest and preview are added here too).
    pub fn written(&mut self) -> &mut Vec<PathBuf> {
        match self {
            Sink::Ctc(w) => &mut w.written,
            Sink::Zarr(z) => &mut z.written,
        }
    }

    /// Keeps what was written (the run succeeded).
    pub fn finish(self) {
        match self {
            Sink::Ctc(w) => w.finish(),
            Sink::Zarr(mut z) => z.dir.keep_claims(),
        }
    }

    /// Removes what this run wrote (it failed or was cancelled).
    pub fn abandon(self) {
        match self {
            Sink::Ctc(w) => w.abandon(),
            Sink::Zarr(mut z) => {
                drop(z.store.take()); // removes its temporary folder
                if let Some(p) = &z.placed {
                    let _ = std::fs::remove_dir_all(p);
                }
                for p in &z.written {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }
}
