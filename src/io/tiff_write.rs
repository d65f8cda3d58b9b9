//! Writing ImageJ hyperstack TIFFs that ImageJ 1, Fiji, tifffile and napari open with the
//! right dimensions, calibration and values.
//!
//! Layout: little-endian classic TIFF, uncompressed. All planes are written first as one
//! contiguous block in (t, z) order, then one directory per plane whose single strip points
//! into that block. ImageJ reads `images=N` planes contiguously from the first strip offset,
//! while other readers follow the per-page directories; both see the same pixels.

use super::atomic::write_atomic;
use super::imagej::{self, Layout};
use super::stack::{Hyperstack, Sample, SampleKind};
use crate::error::{Error, Result};
use std::path::Path;
use tiff::encoder::{Rational, TiffEncoder};
use tiff::tags::Tag;

/// Writes `stack` as an ImageJ hyperstack at `path` (atomically: a temporary file is renamed
/// into place only when complete). uint32 pixels open in ImageJ 1 as 32-bit images (exact up
/// to 2^24); all other types keep their type.
pub fn write_hyperstack<T: Sample>(path: &Path, stack: &Hyperstack<T>) -> Result<()> {
    let (frames, slices, height, width) = stack.dims();
    if frames == 0 || slices == 0 || height == 0 || width == 0 {
        return Err(Error::invalid(
            "stack",
            format!("cannot write an empty stack of shape {:?}", stack.dims()),
        ));
    }
    let (w, h) = (to_u32(width, "width")?, to_u32(height, "height")?);
    let bytes_per = std::mem::size_of::<T>();
    let plane_bytes = (width * height * bytes_per) as u64;
    let total = plane_bytes * (frames * slices) as u64;
    // Header, pixel block and per-page directories must fit in 32-bit offsets.
    let dir_bytes = (frames * slices) as u64 * 256 + 4096;
    if total + dir_bytes > u32::MAX as u64 {
        return Err(Error::invalid(
            "stack",
            format!(
                "{:.1} GiB of pixels does not fit a classic TIFF (4 GiB); write fewer frames per file",
                total as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    if let Some(v) = stack.calibration.voxel_um {
        v.validate("calibration.voxel_um")?;
    }
    let data = stack.data.as_standard_layout();
    let pixels = data.as_slice().expect("standard layout is contiguous");
    let (lo, hi) = display_range(pixels);
    let description = imagej::format(&Layout {
        slices,
        frames,
        z_spacing_um: stack.calibration.voxel_um.map(|v| v.z),
        calibrated: stack.calibration.voxel_um.is_some(),
        frame_interval_s: stack.calibration.frame_interval_s,
        display_min: lo,
        display_max: hi,
    });
    let (bits, sample_format) = match T::KIND {
        SampleKind::U8 => (8u16, 1u16),
        SampleKind::U16 => (16, 1),
        SampleKind::U32 => (32, 1),
        SampleKind::F32 => (32, 3),
    };
    let resolution = stack
        .calibration
        .voxel_um
        .map(|v| (pixels_per_unit(v.x), pixels_per_unit(v.y)));

    write_atomic(path, |out| {
        let err = |e: tiff::TiffError| Error::format(path, format!("cannot write TIFF: {e}"));
        let mut enc = TiffEncoder::new(out).map_err(err)?;
        let mut block_start = 0u64;
        for page in 0..frames * slices {
            let mut dir = enc.image_directory().map_err(err)?;
            if page == 0 {
                // Native byte order, as the encoder declares in the header.
                block_start = dir
                    .write_data(bytemuck::cast_slice::<T, u8>(pixels))
                    .map_err(err)?;
                dir.write_tag(Tag::ImageDescription, description.as_str())
                    .map_err(err)?;
            }
            let offset = block_start + page as u64 * plane_bytes;
            let offset = u32::try_from(offset).map_err(|_| {
                Error::invalid("stack", "pixel data exceeds the 4 GiB of a classic TIFF")
            })?;
            dir.write_tag(Tag::NewSubfileType, 0u32).map_err(err)?;
            dir.write_tag(Tag::ImageWidth, w).map_err(err)?;
            dir.write_tag(Tag::ImageLength, h).map_err(err)?;
            dir.write_tag(Tag::BitsPerSample, bits).map_err(err)?;
            dir.write_tag(Tag::Compression, 1u16).map_err(err)?;
            dir.write_tag(Tag::PhotometricInterpretation, 1u16)
                .map_err(err)?;
            dir.write_tag(Tag::StripOffsets, offset).map_err(err)?;
            dir.write_tag(Tag::SamplesPerPixel, 1u16).map_err(err)?;
            dir.write_tag(Tag::RowsPerStrip, h).map_err(err)?;
            dir.write_tag(Tag::StripByteCounts, plane_bytes as u32)
                .map_err(err)?;
            if let Some((xr, yr)) = &resolution {
                dir.write_tag(Tag::XResolution, xr.clone()).map_err(err)?;
                dir.write_tag(Tag::YResolution, yr.clone()).map_err(err)?;
                // "None": the unit is the description's `unit=micron`, as ImageJ writes it.
                dir.write_tag(Tag::ResolutionUnit, 1u16).map_err(err)?;
            }
            dir.write_tag(Tag::SampleFormat, sample_format)
                .map_err(err)?;
            dir.finish().map_err(err)?;
        }
        Ok(())
    })
}

fn to_u32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::invalid("stack", format!("{what} {n} is too large")))
}

/// Minimum and maximum finite pixel value, for ImageJ's display range.
fn display_range<T: Sample>(pixels: &[T]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &p in pixels {
        let v = p.to_f64();
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        hi = lo + 1.0;
    }
    (lo, hi)
}

/// Pixels per micrometre as the closest rational with 32-bit terms (continued fractions),
/// so that sizes such as 0.09 um (100/9 px/um) survive exactly.
fn pixels_per_unit(size_um: f64) -> Rational {
    let target = 1.0 / size_um;
    let (mut h0, mut h1) = (0u64, 1u64);
    let (mut k0, mut k1) = (1u64, 0u64);
    let mut x = target;
    let mut best = Rational {
        n: (target.round() as u32).max(1),
        d: 1,
    };
    for _ in 0..40 {
        let a = x.floor();
        if a > u32::MAX as f64 {
            break;
        }
        let a = a as u64;
        let h2 = a * h1 + h0;
        let k2 = a * k1 + k0;
        if h2 > u32::MAX as u64 || k2 > u32::MAX as u64 {
            break;
        }
        best = Rational {
            n: h2 as u32,
            d: k2 as u32,
        };
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        let frac = x - a as f64;
        if frac.abs() < 1e-12 || ((h2 as f64 / k2 as f64) - target).abs() <= target * 1e-15 {
            break;
        }
        x = 1.0 / frac;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rationals_are_exact_for_common_sizes() {
        let r = pixels_per_unit(0.09);
        assert_eq!((r.n, r.d), (100, 9));
        let r = pixels_per_unit(0.125);
        assert_eq!((r.n, r.d), (8, 1));
        let r = pixels_per_unit(0.2891);
        assert!((r.d as f64 / r.n as f64 - 0.2891).abs() < 1e-12);
    }
}
