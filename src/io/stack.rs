//! In-memory hyperstacks: a (t, z, y, x) array plus its calibration.

use crate::error::{Error, Result};
use crate::units::Calibration;
use ndarray::{Array4, Axis};

/// A 3D+time image: `data` is indexed `[t, z, y, x]` (C order); the stack owns its pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperstack<T> {
    pub data: Array4<T>,
    pub calibration: Calibration,
}

impl<T> Hyperstack<T> {
    pub fn new(data: Array4<T>, calibration: Calibration) -> Self {
        Hyperstack { data, calibration }
    }

    /// (frames, slices, height, width).
    pub fn dims(&self) -> (usize, usize, usize, usize) {
        self.data.dim()
    }
}

/// Pixel types that cellsdf writes: uint8 masks, uint16 and uint32 labels, float32 SDFs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleKind {
    U8,
    U16,
    U32,
    F32,
}

/// A pixel type cellsdf can write. Sealed: implemented for u8, u16, u32 and f32.
pub trait Sample: bytemuck::Pod + Send + Sync + PartialOrd + private::Sealed + 'static {
    const KIND: SampleKind;
    /// Value as f64, for display ranges.
    fn to_f64(self) -> f64;
}

mod private {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for u32 {}
    impl Sealed for f32 {}
}

macro_rules! impl_sample {
    ($t:ty, $k:ident) => {
        impl Sample for $t {
            const KIND: SampleKind = SampleKind::$k;
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
impl_sample!(u8, U8);
impl_sample!(u16, U16);
impl_sample!(u32, U32);
impl_sample!(f32, F32);

/// A hyperstack of whichever pixel type a file held.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyStack {
    U8(Hyperstack<u8>),
    U16(Hyperstack<u16>),
    U32(Hyperstack<u32>),
    I8(Hyperstack<i8>),
    I16(Hyperstack<i16>),
    I32(Hyperstack<i32>),
    F32(Hyperstack<f32>),
    F64(Hyperstack<f64>),
}

/// A pixel value as f32 (f64 and the widest integers round to the nearest f32).
trait AsF32: Copy {
    fn as_f32(self) -> f32;
}

macro_rules! impl_as_f32 {
    ($($t:ty),*) => {$(
        impl AsF32 for $t {
            fn as_f32(self) -> f32 {
                self as f32
            }
        }
    )*};
}
impl_as_f32!(u8, u16, u32, i8, i16, i32, f32, f64);

macro_rules! each {
    ($s:expr, $h:ident => $body:expr) => {
        match $s {
            AnyStack::U8($h) => $body,
            AnyStack::U16($h) => $body,
            AnyStack::U32($h) => $body,
            AnyStack::I8($h) => $body,
            AnyStack::I16($h) => $body,
            AnyStack::I32($h) => $body,
            AnyStack::F32($h) => $body,
            AnyStack::F64($h) => $body,
        }
    };
}

impl AnyStack {
    /// (frames, slices, height, width).
    pub fn dims(&self) -> (usize, usize, usize, usize) {
        each!(self, h => h.dims())
    }

    pub fn calibration(&self) -> Calibration {
        each!(self, h => h.calibration)
    }

    /// The pixels as float32 (t, z, y, x), exact for every integer type up to 2^24.
    pub fn to_f32(&self) -> ndarray::Array4<f32> {
        each!(self, h => h.data.mapv(AsF32::as_f32))
    }

    /// Frame `t` as float32 (z, y, x), as [`AnyStack::to_f32`] converts it.
    pub fn frame_f32(&self, t: usize) -> ndarray::Array3<f32> {
        each!(self, h => h.data.index_axis(Axis(0), t).mapv(AsF32::as_f32))
    }

    /// Stacks `parts` (each one or more frames of the same pixel type, slice count and
    /// plane size) into one time-lapse with the first part's calibration; `what` names the
    /// input in errors.
    pub fn concat_frames(parts: Vec<AnyStack>, what: &str) -> Result<AnyStack> {
        fn cat<T: Clone>(hs: Vec<Hyperstack<T>>, what: &str) -> Result<Hyperstack<T>> {
            let calibration = hs[0].calibration;
            let views: Vec<_> = hs.iter().map(|h| h.data.view()).collect();
            let data = ndarray::concatenate(Axis(0), &views)
                .map_err(|_| Error::invalid(what, "its frames differ in slices or plane size"))?;
            Ok(Hyperstack::new(data, calibration))
        }
        macro_rules! all_of {
            ($($v:ident),*) => {
                match &parts.first() {
                    None => Err(Error::invalid(what, "holds no frame")),
                    $(Some(AnyStack::$v(_)) => {
                        let mut hs = Vec::with_capacity(parts.len());
                        for p in parts {
                            match p {
                                AnyStack::$v(h) => hs.push(h),
                                other => return Err(Error::invalid(what, format!(
                                    "mixes pixel types ({} and {})",
                                    stringify!($v).to_lowercase(), other.dtype_name())))
                            }
                        }
                        cat(hs, what).map(AnyStack::$v)
                    })*
                }
            };
        }
        all_of!(U8, U16, U32, I8, I16, I32, F32, F64)
    }

    /// The largest value the pixel type holds (integer types), or None (floating point).
    pub fn type_max(&self) -> Option<f64> {
        match self {
            AnyStack::U8(_) => Some(u8::MAX as f64),
            AnyStack::U16(_) => Some(u16::MAX as f64),
            AnyStack::U32(_) => Some(u32::MAX as f64),
            AnyStack::I8(_) => Some(i8::MAX as f64),
            AnyStack::I16(_) => Some(i16::MAX as f64),
            AnyStack::I32(_) => Some(i32::MAX as f64),
            AnyStack::F32(_) | AnyStack::F64(_) => None,
        }
    }

    /// Name of the pixel type, as numpy spells it.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            AnyStack::U8(_) => "uint8",
            AnyStack::U16(_) => "uint16",
            AnyStack::U32(_) => "uint32",
            AnyStack::I8(_) => "int8",
            AnyStack::I16(_) => "int16",
            AnyStack::I32(_) => "int32",
            AnyStack::F32(_) => "float32",
            AnyStack::F64(_) => "float64",
        }
    }

    /// The stack as uint32 labels. Integer types convert exactly; negative values and
    /// floating-point pixels are refused with an error naming `what` (usually the file).
    pub fn into_labels(self, what: &str) -> Result<Hyperstack<u32>> {
        fn conv<T: Copy + TryInto<u32>>(h: Hyperstack<T>, what: &str) -> Result<Hyperstack<u32>> {
            let mut bad = false;
            let data = h.data.mapv(|v| {
                v.try_into().unwrap_or_else(|_| {
                    bad = true;
                    0
                })
            });
            if bad {
                return Err(Error::invalid(
                    what,
                    "label image holds negative values; labels must be >= 0",
                ));
            }
            Ok(Hyperstack::new(data, h.calibration))
        }
        match self {
            AnyStack::U8(h) => conv(h, what),
            AnyStack::U16(h) => conv(h, what),
            AnyStack::U32(h) => Ok(h),
            AnyStack::I8(h) => conv(h, what),
            AnyStack::I16(h) => conv(h, what),
            AnyStack::I32(h) => conv(h, what),
            AnyStack::F32(_) | AnyStack::F64(_) => Err(Error::invalid(
                what,
                "expected an integer label image, found floating-point pixels",
            )),
        }
    }
}
