//! Reading multi-page TIFFs (ImageJ hyperstacks, tifffile "shaped" files, plain page stacks)
//! into (t, z, y, x) arrays with their calibration.

use super::axes::{axis_word, layout_with, Axes, PlaneLayout};
use super::imagej::{length_unit_in_um, Description};
use super::stack::{AnyStack, Hyperstack};
use crate::error::{Error, Result};
use crate::units::{Calibration, VoxelSize};
use ndarray::Array4;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use tiff::decoder::ifd::Value;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError};

/// Resource caps for reading untrusted files.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest total pixel data accepted in memory, in bytes (of the decoded array, in its
    /// final type).
    pub max_bytes: u64,
}

impl Default for ReadLimits {
    /// Half the memory available now (Linux `MemAvailable`), at most 16 GiB; the environment
    /// variable `CELLSDF_READ_LIMIT_MB` overrides it.
    fn default() -> Self {
        ReadLimits {
            max_bytes: default_read_limit(),
        }
    }
}

fn default_read_limit() -> u64 {
    if let Some(mb) = std::env::var("CELLSDF_READ_LIMIT_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return mb.saturating_mul(1 << 20);
    }
    let cap = 16u64 << 30;
    available_memory().map_or(cap, |a| (a / 2).min(cap))
}

/// Bytes this process can still allocate: the least of the memory available now (Linux
/// `MemAvailable`), the room under its address-space limit (`ulimit -v`: the limit less
/// the address space in use) and under its cgroup's memory limit (containers, cluster
/// jobs: `memory.max` less `memory.current`, cgroup v2). None where none is known.
pub fn available_memory() -> Option<u64> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let kb_field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb.saturating_mul(1024))
    };
    let mem = read("/proc/meminfo").and_then(|t| kb_field(&t, "MemAvailable:"));
    let address_space = read("/proc/self/limits").and_then(|t| {
        let soft = t
            .lines()
            .find(|l| l.starts_with("Max address space"))?
            .split_whitespace()
            .nth(3)?
            .parse::<u64>()
            .ok()?;
        let used = read("/proc/self/status").and_then(|s| kb_field(&s, "VmSize:"))?;
        Some(soft.saturating_sub(used))
    });
    let cgroup = read("/sys/fs/cgroup/memory.max").and_then(|m| {
        let max = m.trim().parse::<u64>().ok()?;
        let cur = read("/sys/fs/cgroup/memory.current")
            .and_then(|c| c.trim().parse::<u64>().ok())
            .unwrap_or(0);
        Some(max.saturating_sub(cur))
    });
    [mem, address_space, cgroup].into_iter().flatten().min()
}

/// How to read a stack: resource caps, and what the planes mean when the file's metadata
/// says otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    /// Overrides the (t, z) split of the metadata (see [`Axes`]).
    pub axes: Option<Axes>,
}

impl ReadOptions {
    /// Default limits with the axes override `axes`.
    pub fn with_axes(axes: Option<Axes>) -> Self {
        ReadOptions {
            axes,
            ..ReadOptions::default()
        }
    }
}

/// Reads a TIFF stack with [`ReadLimits::default`]. See [`read_hyperstack_with_limits`].
pub fn read_hyperstack(path: &Path) -> Result<AnyStack> {
    read_hyperstack_with(path, &ReadOptions::default())
}

/// Reads a label or mask stack straight into uint32 labels, page by page (no second copy
/// of the stack in its stored type), with [`ReadLimits::default`]. Integer pixels convert
/// exactly; negative values and floating-point pixels are errors naming the file.
pub fn read_labels(path: &Path) -> Result<Hyperstack<u32>> {
    read_labels_with_limits(path, &ReadLimits::default())
}

/// [`read_labels`] with explicit limits.
pub fn read_labels_with_limits(path: &Path, limits: &ReadLimits) -> Result<Hyperstack<u32>> {
    read_labels_with(
        path,
        &ReadOptions {
            limits: *limits,
            axes: None,
        },
    )
}

/// [`read_labels`] with explicit limits and axes override.
pub fn read_labels_with(path: &Path, options: &ReadOptions) -> Result<Hyperstack<u32>> {
    let mut data: Vec<u32> = Vec::new();
    let info = read_pages(path, &options.limits, 4, &mut |page, image| {
        let negative = || {
            Error::invalid(
                path.display().to_string(),
                "label image holds negative values; labels must be >= 0",
            )
        };
        let n = decoded_len(&image);
        reserve(&mut data, n, path)?;
        match image {
            DecodingResult::U8(v) => data.extend(v.iter().map(|&x| x as u32)),
            DecodingResult::U16(v) => data.extend(v.iter().map(|&x| x as u32)),
            DecodingResult::U32(v) => data.extend_from_slice(&v),
            DecodingResult::I8(v) => {
                for x in v {
                    data.push(u32::try_from(x).map_err(|_| negative())?);
                }
            }
            DecodingResult::I16(v) => {
                for x in v {
                    data.push(u32::try_from(x).map_err(|_| negative())?);
                }
            }
            DecodingResult::I32(v) => {
                for x in v {
                    data.push(u32::try_from(x).map_err(|_| negative())?);
                }
            }
            DecodingResult::F16(_) | DecodingResult::F32(_) | DecodingResult::F64(_) => {
                return Err(Error::invalid(
                    path.display().to_string(),
                    "expected an integer label image, found floating-point pixels",
                ))
            }
            DecodingResult::U64(_) | DecodingResult::I64(_) => {
                return Err(Error::format(
                    path,
                    format!("page {page}: 64-bit integer pixels are not supported"),
                ))
            }
        }
        Ok(())
    })?;
    let (layout, shape, calibration) = info.shape(path, options.axes)?;
    let data = Array4::from_shape_vec(stored_shape(layout, shape), data).map_err(|e| {
        Error::format(
            path,
            format!("pixel data does not fill shape {shape:?}: {e}"),
        )
    })?;
    Ok(Hyperstack::new(to_tz(data, layout), calibration))
}

/// The shape of the pixel data as stored: (t, z, y, x), or (z, t, y, x) when z-major.
fn stored_shape(
    layout: PlaneLayout,
    (t, z, y, x): (usize, usize, usize, usize),
) -> (usize, usize, usize, usize) {
    if layout.z_major {
        (z, t, y, x)
    } else {
        (t, z, y, x)
    }
}

/// Stored pixel data in (t, z, y, x) order (a copy when it was stored z-major).
fn to_tz<T: Clone>(a: Array4<T>, layout: PlaneLayout) -> Array4<T> {
    if layout.z_major {
        a.permuted_axes([1, 0, 2, 3])
            .as_standard_layout()
            .into_owned()
    } else {
        a
    }
}

/// Elements of a decoded page.
fn decoded_len(r: &DecodingResult) -> usize {
    match r {
        DecodingResult::U8(v) => v.len(),
        DecodingResult::U16(v) => v.len(),
        DecodingResult::U32(v) => v.len(),
        DecodingResult::U64(v) => v.len(),
        DecodingResult::I8(v) => v.len(),
        DecodingResult::I16(v) => v.len(),
        DecodingResult::I32(v) => v.len(),
        DecodingResult::I64(v) => v.len(),
        DecodingResult::F16(v) => v.len(),
        DecodingResult::F32(v) => v.len(),
        DecodingResult::F64(v) => v.len(),
    }
}

/// Grows `v` by `extra` elements without aborting when memory runs out.
fn reserve<T>(v: &mut Vec<T>, extra: usize, path: &Path) -> Result<()> {
    v.try_reserve(extra).map_err(|_| {
        Error::out_of_memory(format!(
            "{extra} more pixels of the stack {}",
            path.display()
        ))
    })
}

/// Reads every page of the TIFF at `path` into a (t, z, y, x) hyperstack.
///
/// The (t, z) split comes from the ImageJ description (`frames`, `slices`), else from a
/// tifffile `{"shape": [...]}` description, else all pages are z slices of one frame.
/// Uncompressed, LZW, Deflate and PackBits files are read. Calibration: x/y pixel size from
/// the resolution tags in the description's `unit` (or the tag's cm/inch unit); z from
/// `spacing` (or SCIFIO `scales`); `voxel_um` is `None` unless all three are known (a single
/// slice takes z = x). Errors name the file and the problem; nothing panics or aborts on bad
/// input (sizes are checked against `limits` before memory is reserved, and memory is
/// reserved fallibly).
pub fn read_hyperstack_with_limits(path: &Path, limits: &ReadLimits) -> Result<AnyStack> {
    read_hyperstack_with(
        path,
        &ReadOptions {
            limits: *limits,
            axes: None,
        },
    )
}

/// [`read_hyperstack_with_limits`] with an axes override.
pub fn read_hyperstack_with(path: &Path, options: &ReadOptions) -> Result<AnyStack> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    hyperstack_from(BufReader::new(file), path, options)
}

/// Reads a TIFF held in memory (as [`read_hyperstack_with_limits`]); `name` stands for the
/// file in errors.
pub fn read_hyperstack_bytes(bytes: &[u8], name: &str, limits: &ReadLimits) -> Result<AnyStack> {
    let options = ReadOptions {
        limits: *limits,
        axes: None,
    };
    hyperstack_from(std::io::Cursor::new(bytes), Path::new(name), &options)
}

fn hyperstack_from<R: std::io::Read + std::io::Seek>(
    reader: R,
    path: &Path,
    options: &ReadOptions,
) -> Result<AnyStack> {
    let mut pages: Option<Pages> = None;
    let info = read_pages_from(reader, path, &options.limits, 0, &mut |page, image| {
        match pages.as_mut() {
            None => pages = Some(Pages::from(image)),
            Some(p) => p.push(image, path).map_err(|e| match e {
                Some(e) => e,
                None => Error::format(
                    path,
                    format!("page {page} has a different sample type than page 0"),
                ),
            })?,
        }
        Ok(())
    })?;
    let pages = pages.ok_or_else(|| Error::format(path, "holds no image"))?;
    let (layout, shape, calibration) = info.shape(path, options.axes)?;
    pages.into_stack(layout, shape, calibration, path)
}

/// What a file's pages are, before they are shaped into (t, z, y, x).
struct PageInfo {
    width: u32,
    height: u32,
    count: usize,
    description: String,
    ij: Option<Description>,
    x_res: Option<f64>,
    y_res: Option<f64>,
    res_unit: u16,
}

/// (t, z, y, x) shape of a stack.
type Shape4 = (usize, usize, usize, usize);

impl PageInfo {
    /// The plane layout, the (t, z, y, x) shape and the calibration.
    fn shape(&self, path: &Path, axes: Option<Axes>) -> Result<(PlaneLayout, Shape4, Calibration)> {
        let layout = split_pages(
            path,
            self.count,
            self.ij.as_ref(),
            &self.description,
            (self.height, self.width),
            axes,
        )?;
        let (frames, slices) = (layout.frames, layout.slices);
        let calibration = calibration(
            self.ij.as_ref(),
            self.x_res,
            self.y_res,
            self.res_unit,
            slices,
        );
        Ok((
            layout,
            (frames, slices, self.height as usize, self.width as usize),
            calibration,
        ))
    }
}

/// Decodes the pages of `path` one at a time into `sink` (page index, pixels). Sizes are
/// checked against `limits` first, counting `out_bytes` bytes per pixel in memory (0: the
/// stored sample size).
fn read_pages(
    path: &Path,
    limits: &ReadLimits,
    out_bytes: u64,
    sink: &mut dyn FnMut(usize, DecodingResult) -> Result<()>,
) -> Result<PageInfo> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    read_pages_from(BufReader::new(file), path, limits, out_bytes, sink)
}

/// [`read_pages`] from any seekable reader; `path` names it in errors.
fn read_pages_from<R: std::io::Read + std::io::Seek>(
    reader: R,
    path: &Path,
    limits: &ReadLimits,
    out_bytes: u64,
    sink: &mut dyn FnMut(usize, DecodingResult) -> Result<()>,
) -> Result<PageInfo> {
    let bad = |msg: String| Error::format(path, msg);
    let mut dec = Decoder::new(reader)
        .map_err(|e| tiff_error(path, e))?
        .with_limits(decoder_limits(limits));
    let (width, height) = dec.dimensions().map_err(|e| tiff_error(path, e))?;
    let colortype = dec.colortype().map_err(|e| tiff_error(path, e))?;
    match colortype {
        ColorType::Gray(8 | 16 | 32 | 64) => {}
        other => {
            return Err(bad(format!(
                "unsupported pixel layout {other:?}: cellsdf reads single-channel 8/16/32/64-bit images"
            )))
        }
    }
    let pixel_bytes = if out_bytes > 0 {
        out_bytes
    } else {
        bytes_of(colortype)
    };
    let description = dec
        .get_tag_ascii_string(Tag::ImageDescription)
        .ok()
        .unwrap_or_default();
    let ij = Description::parse(&description);
    let plane = width as u64 * height as u64;
    if let Some(declared) = ij.as_ref().and_then(|d| d.images) {
        check_size(
            path,
            (declared as u64)
                .saturating_mul(plane)
                .saturating_mul(pixel_bytes),
            limits,
        )?;
    }
    let x_res = rational(dec.find_tag(Tag::XResolution).ok().flatten());
    let y_res = rational(dec.find_tag(Tag::YResolution).ok().flatten());
    let res_unit = dec
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    let mut count = 0usize;
    loop {
        let dims = dec.dimensions().map_err(|e| tiff_error(path, e))?;
        if dims != (width, height) {
            return Err(bad(format!(
                "page {count} is {}x{} pixels but page 0 is {width}x{height}; all pages must have one size",
                dims.0, dims.1
            )));
        }
        let ct = dec.colortype().map_err(|e| tiff_error(path, e))?;
        if ct != colortype {
            return Err(bad(format!(
                "page {count} has pixel layout {ct:?} but page 0 has {colortype:?}"
            )));
        }
        check_size(
            path,
            (count as u64 + 1)
                .saturating_mul(plane)
                .saturating_mul(pixel_bytes),
            limits,
        )?;
        let image = dec
            .read_image()
            .map_err(|e| tiff_error(path, e).with_context(&format!("page {count}")))?;
        sink(count, image)?;
        count += 1;
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(|e| tiff_error(path, e))?;
    }
    Ok(PageInfo {
        width,
        height,
        count,
        description,
        ij,
        x_res,
        y_res,
        res_unit,
    })
}

fn decoder_limits(limits: &ReadLimits) -> Limits {
    let mut l = Limits::default();
    l.decoding_buffer_size = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
    l
}

fn check_size(path: &Path, bytes: u64, limits: &ReadLimits) -> Result<()> {
    if bytes > limits.max_bytes {
        return Err(Error::format(
            path,
            format!(
                "pixel data of {:.1} GiB exceeds the reading limit of {:.1} GiB",
                bytes as f64 / (1u64 << 30) as f64,
                limits.max_bytes as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
}

fn bytes_of(ct: ColorType) -> u64 {
    match ct {
        ColorType::Gray(b) => b as u64 / 8,
        _ => 1,
    }
}

fn rational(v: Option<Value>) -> Option<f64> {
    match v? {
        Value::Rational(n, d) if n > 0 && d > 0 => Some(n as f64 / d as f64),
        Value::Float(f) if f > 0.0 => Some(f as f64),
        Value::Double(f) if f > 0.0 => Some(f),
        _ => None,
    }
}

/// Splits `count` pages into frames and slices: from the ImageJ description (`frames`,
/// `slices`; channels only under an axes override), else a tifffile `{"shape": [...]}`
/// description, else all pages are slices; `axes` reinterprets the stored axes.
fn split_pages(
    path: &Path,
    count: usize,
    ij: Option<&Description>,
    description: &str,
    (height, width): (u32, u32),
    axes: Option<Axes>,
) -> Result<PlaneLayout> {
    let bad = |msg: String| Error::format(path, msg);
    let t_major = |frames, slices| PlaneLayout {
        frames,
        slices,
        z_major: false,
    };
    // The stored plane axes (slowest first) with more than one plane, as the file names them.
    let stored: Vec<(char, usize)>;
    let default: Option<PlaneLayout>;
    if let Some(d) = ij {
        if let Some(images) = d.images {
            if images != count {
                return Err(bad(format!(
                    "description declares {images} images but the file holds {count} pages (truncated, or a layout without one directory per page)"
                )));
            }
        }
        let channels = d.channels.unwrap_or(1).max(1);
        let frames = d.frames.unwrap_or(1).max(1);
        let slices = d
            .slices
            .unwrap_or(count / (frames * channels).max(1))
            .max(1);
        if frames.saturating_mul(slices).saturating_mul(channels) != count {
            return Err(bad(format!(
                "description declares {slices} slices x {frames} frames x {channels} channels but the file holds {count} pages"
            )));
        }
        stored = [('T', frames), ('Z', slices), ('C', channels)]
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .collect();
        default = (channels == 1).then(|| t_major(frames, slices));
        if default.is_none() && axes.is_none() {
            let names: Vec<String> = stored
                .iter()
                .map(|(c, n)| format!("{n} {}", axis_word(*c)))
                .collect();
            return Err(bad(format!(
                "holds {} (stored in that order); cellsdf reads one channel: if the channels are really time points or slices, say what the stored axes are with --axes (slowest first, e.g. ZTYX when the channels are time points), else split the channels first",
                names.join(" x ")
            )));
        }
    } else if let Some(lead) = shaped_description(description).filter(|shape| {
        let n = shape.len();
        n >= 2
            && shape[n - 2] == height as usize
            && shape[n - 1] == width as usize
            && shape[..n - 2].iter().product::<usize>() == count
    }) {
        let lead = &lead[..lead.len() - 2];
        stored = lead
            .iter()
            .filter(|&&s| s != 1)
            .map(|&s| ('?', s))
            .collect();
        default = match stored.as_slice() {
            [] => Some(t_major(1, 1)),
            [(_, z)] => Some(t_major(1, *z)),
            [(_, t), (_, z)] => Some(t_major(*t, *z)),
            _ => {
                return Err(bad(format!(
                    "shape {lead:?} x {height} x {width} has more than 4 dimensions; cellsdf reads (t, z, y, x)"
                )))
            }
        };
    } else {
        stored = if count > 1 {
            vec![('P', count)]
        } else {
            vec![]
        };
        default = Some(t_major(1, count));
    }
    match axes {
        None => Ok(default.expect("checked above")),
        Some(a) => layout_with(count, &stored, a).map_err(|m| Error::format(path, m)),
    }
}

/// The `shape` of a tifffile description such as `{"shape": [60, 256, 256]}`.
fn shaped_description(description: &str) -> Option<Vec<usize>> {
    let v: serde_json::Value = serde_json::from_str(description.trim()).ok()?;
    v.get("shape")?
        .as_array()?
        .iter()
        .map(|s| s.as_u64().map(|s| s as usize))
        .collect()
}

fn calibration(
    ij: Option<&Description>,
    x_res: Option<f64>,
    y_res: Option<f64>,
    res_unit: u16,
    slices: usize,
) -> Calibration {
    let unit_um = ij.and_then(Description::unit_in_um).or(match res_unit {
        2 => length_unit_in_um("inch"),
        3 => length_unit_in_um("cm"),
        _ => None,
    });
    let xy = match (unit_um, x_res, y_res) {
        (Some(u), Some(xr), Some(yr)) => Some((u / xr, u / yr)),
        _ => None,
    };
    let z = xy.and_then(|(x, _)| {
        let d = ij?;
        if let (Some(s), Some(u)) = (d.spacing, d.unit_in_um()) {
            return Some(s * u);
        }
        match d.scifio_scales.as_deref() {
            Some([sx, _, sz, ..]) if *sx > 0.0 && *sz > 0.0 => Some(x * sz / sx),
            _ => None,
        }
    });
    let z = z.or(if slices == 1 {
        xy.map(|(x, _)| x)
    } else {
        None
    });
    Calibration {
        voxel_um: match (xy, z) {
            (Some((x, y)), Some(z)) => Some(VoxelSize { x, y, z }),
            _ => None,
        },
        frame_interval_s: ij.and_then(Description::frame_interval_s),
    }
}

fn tiff_error(path: &Path, e: TiffError) -> Error {
    let message = match e {
        TiffError::IoError(io) => format!("truncated or unreadable TIFF data ({io})"),
        TiffError::FormatError(f) => format!("not a valid TIFF ({f})"),
        TiffError::UnsupportedError(u) => format!("unsupported TIFF feature ({u})"),
        TiffError::LimitsExceeded => "an image exceeds the reading limit".to_string(),
        other => format!("cannot decode TIFF ({other})"),
    };
    Error::format(path, message)
}

trait WithContext {
    fn with_context(self, ctx: &str) -> Self;
}

impl WithContext for Error {
    fn with_context(self, ctx: &str) -> Self {
        match self {
            Error::Format { path, message } => Error::Format {
                path,
                message: format!("{ctx}: {message}"),
            },
            other => other,
        }
    }
}

/// Decoded pages of one sample type, concatenated in file order.
enum Pages {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Unsupported(&'static str),
}

impl From<DecodingResult> for Pages {
    fn from(r: DecodingResult) -> Self {
        match r {
            DecodingResult::U8(v) => Pages::U8(v),
            DecodingResult::U16(v) => Pages::U16(v),
            DecodingResult::U32(v) => Pages::U32(v),
            DecodingResult::I8(v) => Pages::I8(v),
            DecodingResult::I16(v) => Pages::I16(v),
            DecodingResult::I32(v) => Pages::I32(v),
            DecodingResult::F32(v) => Pages::F32(v),
            DecodingResult::F64(v) => Pages::F64(v),
            DecodingResult::U64(_) => Pages::Unsupported("unsigned 64-bit"),
            DecodingResult::I64(_) => Pages::Unsupported("signed 64-bit"),
            DecodingResult::F16(_) => Pages::Unsupported("16-bit floating-point"),
        }
    }
}

macro_rules! pages_dispatch {
    ($($v:ident),*) => {
        impl Pages {
            /// Appends a page; `Err(None)` when its sample type differs from the first.
            fn push(&mut self, r: DecodingResult, path: &Path) -> std::result::Result<(), Option<Error>> {
                match (self, r) {
                    $((Pages::$v(acc), DecodingResult::$v(v)) => {
                        reserve(acc, v.len(), path).map_err(Some)?;
                        acc.extend_from_slice(&v);
                        Ok(())
                    })*
                    (Pages::Unsupported(_), _) => Ok(()),
                    _ => Err(None),
                }
            }

            fn into_stack(
                self,
                layout: PlaneLayout,
                shape: Shape4,
                calibration: Calibration,
                path: &Path,
            ) -> Result<AnyStack> {
                let wrong = |e: ndarray::ShapeError| {
                    Error::format(path, format!("pixel data does not fill shape {shape:?}: {e}"))
                };
                match self {
                    $(Pages::$v(v) => Ok(AnyStack::$v(Hyperstack::new(
                        to_tz(
                            Array4::from_shape_vec(stored_shape(layout, shape), v)
                                .map_err(wrong)?,
                            layout,
                        ),
                        calibration,
                    ))),)*
                    Pages::Unsupported(what) => Err(Error::format(
                        path,
                        format!("unsupported sample format: {what} pixels"),
                    )),
                }
            }
        }
    };
}
pages_dispatch!(U8, U16, U32, I8, I16, I32, F32, F64);
