//! What the planes of a TIFF mean when its metadata says otherwise: an axes override such as
//! `TZYX` (the usual order), `ZTYX` (time varies fastest) or `TYX` (every plane a frame).
//!
//! Real files often label axes wrongly: time points saved as channels, slices and channels
//! swapped, or a plain multi-page TIFF whose pages are frames. The override names the file's
//! stored plane axes, slowest first, followed by `YX`: one letter for each axis the file's
//! metadata gives more than one plane (ImageJ stores planes with time slowest and channel
//! fastest; a file without metadata has one axis, its pages). Letters are `T` (time) and `Z`
//! (depth); cellsdf reads one channel.

use crate::error::{Error, Result};

/// The plane axes of a file in storage order (slowest first), as the user names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axes {
    /// One stored axis: every plane a frame (`TYX`).
    T,
    /// One stored axis: every plane a slice (`ZYX`).
    Z,
    /// Two stored axes, time slowest (`TZYX`, the usual order).
    TZ,
    /// Two stored axes, depth slowest: time varies fastest (`ZTYX`).
    ZT,
}

impl std::str::FromStr for Axes {
    type Err = Error;

    /// Parses `TZYX`, `ZTYX`, `TYX` or `ZYX` (any case; the trailing `YX` may be left out).
    fn from_str(s: &str) -> Result<Axes> {
        let upper = s.trim().to_ascii_uppercase();
        let planes = upper.strip_suffix("YX").unwrap_or(&upper);
        match planes {
            "T" => Ok(Axes::T),
            "Z" => Ok(Axes::Z),
            "TZ" => Ok(Axes::TZ),
            "ZT" => Ok(Axes::ZT),
            _ => Err(Error::invalid(
                "axes",
                format!(
                    "{s:?} is not TZYX, ZTYX, TYX or ZYX (the file's plane axes, slowest first; T time, Z depth; cellsdf reads one channel)"
                ),
            )),
        }
    }
}

impl Axes {
    /// The letters, e.g. "ZTYX".
    pub fn name(self) -> &'static str {
        match self {
            Axes::T => "TYX",
            Axes::Z => "ZYX",
            Axes::TZ => "TZYX",
            Axes::ZT => "ZTYX",
        }
    }
}

/// How a file's planes form (t, z): `frames` x `slices`, stored z-major (time fastest) when
/// `z_major`, else t-major (the (t, z, y, x) order itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneLayout {
    pub frames: usize,
    pub slices: usize,
    pub z_major: bool,
}

/// The layout of `count` planes whose metadata names `stored` axes (letter as the file
/// calls it, size; slowest first; axes of one plane left out), read as `axes`.
pub(crate) fn layout_with(
    count: usize,
    stored: &[(char, usize)],
    axes: Axes,
) -> std::result::Result<PlaneLayout, String> {
    let described = || {
        if stored.is_empty() {
            format!("{count} page(s) without axis metadata")
        } else {
            stored
                .iter()
                .map(|(c, n)| format!("{n} {}", axis_word(*c)))
                .collect::<Vec<_>>()
                .join(" x ")
        }
    };
    let one = |frames: bool| PlaneLayout {
        frames: if frames { count } else { 1 },
        slices: if frames { 1 } else { count },
        z_major: false,
    };
    match (axes, stored) {
        (Axes::T, [] | [_]) => Ok(one(true)),
        (Axes::Z, [] | [_]) => Ok(one(false)),
        (Axes::TZ, [(_, a), (_, b)]) => Ok(PlaneLayout {
            frames: *a,
            slices: *b,
            z_major: false,
        }),
        (Axes::ZT, [(_, a), (_, b)]) => Ok(PlaneLayout {
            frames: *b,
            slices: *a,
            z_major: true,
        }),
        (Axes::T | Axes::Z, _) => Err(format!(
            "--axes {} names one plane axis, but the file stores {}: name each, slowest first (e.g. TZYX or ZTYX)",
            axes.name(),
            described()
        )),
        (Axes::TZ | Axes::ZT, _) => Err(format!(
            "--axes {} names two plane axes, but the file stores {}: the metadata does not say where one axis ends (name one axis, e.g. TYX or ZYX)",
            axes.name(),
            described()
        )),
    }
}

/// What the file calls a stored axis: frames (T), slices (Z), channels (C), planes.
pub(crate) fn axis_word(c: char) -> &'static str {
    match c {
        'T' => "frames",
        'Z' => "slices",
        'C' => "channels",
        _ => "planes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_layouts_follow_the_stored_sizes() {
        assert_eq!("tzyx".parse::<Axes>().unwrap(), Axes::TZ);
        assert_eq!("ZT".parse::<Axes>().unwrap(), Axes::ZT);
        assert_eq!("TYX".parse::<Axes>().unwrap(), Axes::T);
        let e = "CZYX".parse::<Axes>().unwrap_err().to_string();
        assert!(e.contains("axes") && e.contains("one channel"), "{e}");
        // 10 slices x 5 channels, channels really time points: ZT.
        let l = layout_with(50, &[('Z', 10), ('C', 5)], Axes::ZT).unwrap();
        assert_eq!((l.frames, l.slices, l.z_major), (5, 10, true));
        let l = layout_with(12, &[('Z', 12)], Axes::T).unwrap();
        assert_eq!((l.frames, l.slices), (12, 1));
        let e = layout_with(12, &[], Axes::TZ).unwrap_err();
        assert!(e.contains("12 page(s)") && e.contains("TYX"), "{e}");
        let e = layout_with(50, &[('Z', 10), ('C', 5)], Axes::T).unwrap_err();
        assert!(e.contains("10 slices x 5 channels"), "{e}");
    }
}
