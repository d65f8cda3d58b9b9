//! The ImageJ image description ("ImageJ=1.53t\nimages=..\nslices=..\nframes=.."), read and
//! written the way ImageJ 1 and tifffile interpret it.

/// Fields of an ImageJ (or SCIFIO) description that cellsdf uses. Lengths are counts; spacing
/// is in `unit`; the frame interval is in `time_unit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Description {
    pub images: Option<usize>,
    pub channels: Option<usize>,
    pub slices: Option<usize>,
    pub frames: Option<usize>,
    /// z spacing in `unit`.
    pub spacing: Option<f64>,
    /// Length unit as written ("micron", "um", "nm", ...).
    pub unit: Option<String>,
    pub finterval: Option<f64>,
    pub time_unit: Option<String>,
    /// SCIFIO's per-axis scales (x, y, z, ...), used when `spacing` is absent.
    pub scifio_scales: Option<Vec<f64>>,
}

impl Description {
    /// Parses an ImageJ or SCIFIO description; `None` when it is neither.
    pub fn parse(text: &str) -> Option<Description> {
        let first = text.lines().next()?;
        if !(first.starts_with("ImageJ=") || first.starts_with("SCIFIO=")) {
            return None;
        }
        let mut d = Description::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let count = || value.parse::<usize>().ok();
            let number = || value.parse::<f64>().ok().filter(|v| v.is_finite());
            match key.trim() {
                "images" => d.images = count(),
                "channels" => d.channels = count(),
                "slices" => d.slices = count(),
                "frames" => d.frames = count(),
                "spacing" => d.spacing = number().filter(|v| *v > 0.0),
                "unit" => d.unit = Some(value.to_string()),
                "finterval" => d.finterval = number().filter(|v| *v > 0.0),
                "tunit" => d.time_unit = Some(value.to_string()),
                "scales" => {
                    d.scifio_scales = value
                        .split(',')
                        .map(|s| s.trim().parse::<f64>().ok())
                        .collect::<Option<Vec<f64>>>()
                }
                _ => {}
            }
        }
        Some(d)
    }

    /// Micrometres per `unit`, or `None` for "pixel", "null" and unknown units.
    pub fn unit_in_um(&self) -> Option<f64> {
        length_unit_in_um(self.unit.as_deref()?)
    }

    /// Seconds per frame, honouring `tunit` (seconds when absent).
    pub fn frame_interval_s(&self) -> Option<f64> {
        let f = self.finterval?;
        let scale = match self.time_unit.as_deref().map(str::trim) {
            None | Some("s") | Some("sec") | Some("second") | Some("seconds") => 1.0,
            Some("ms") | Some("msec") => 1e-3,
            Some("min") | Some("minute") | Some("minutes") => 60.0,
            Some("h") | Some("hr") | Some("hour") | Some("hours") => 3600.0,
            Some(_) => return None,
        };
        Some(f * scale)
    }
}

/// Micrometres per length unit as ImageJ users write them.
pub(crate) fn length_unit_in_um(unit: &str) -> Option<f64> {
    match unit.trim() {
        "micron" | "microns" | "um" | "µm" | "\u{03BC}m" | "micrometer" | "micrometre" => {
            Some(1.0)
        }
        "nm" | "nanometer" | "nanometre" => Some(1e-3),
        "mm" | "millimeter" | "millimetre" => Some(1e3),
        "cm" | "centimeter" | "centimetre" => Some(1e4),
        "m" | "meter" | "metre" => Some(1e6),
        "inch" | "in" => Some(25_400.0),
        _ => None,
    }
}

/// What a cellsdf hyperstack's description says.
pub(crate) struct Layout {
    pub slices: usize,
    pub frames: usize,
    pub z_spacing_um: Option<f64>,
    pub calibrated: bool,
    pub frame_interval_s: Option<f64>,
    pub display_min: f64,
    pub display_max: f64,
}

/// Formats an ImageJ 1 hyperstack description. Pixel data must be stored contiguously in
/// (t, z) page order: ImageJ reads `images` planes from the first strip offset.
pub(crate) fn format(l: &Layout) -> String {
    let mut s = String::from("ImageJ=1.53t\n");
    s += &format!("images={}\n", l.slices * l.frames);
    if l.slices > 1 {
        s += &format!("slices={}\n", l.slices);
    }
    if l.frames > 1 {
        s += &format!("frames={}\n", l.frames);
    }
    if l.slices > 1 && l.frames > 1 {
        s += "hyperstack=true\n";
    }
    if l.calibrated {
        s += "unit=micron\n";
        if let Some(z) = l.z_spacing_um {
            s += &format!("spacing={}\n", fmt_f64(z));
        }
    }
    if let Some(f) = l.frame_interval_s {
        s += &format!("finterval={}\ntunit=sec\n", fmt_f64(f));
    }
    s += "loop=false\n";
    s += &format!(
        "min={}\nmax={}\n",
        fmt_f64(l.display_min),
        fmt_f64(l.display_max)
    );
    s
}

/// Shortest decimal that reads back as the same f64.
fn fmt_f64(v: f64) -> String {
    format!("{v:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scifio_and_imagej() {
        let d = Description::parse(
            "SCIFIO=0.45.0\naxes=X,Y,Z,Time\nscales=1.0,1.0,5.0,1.0\nimages=899\nslices=29\nframes=31\nunit=null",
        )
        .unwrap();
        assert_eq!(
            (d.images, d.slices, d.frames),
            (Some(899), Some(29), Some(31))
        );
        assert_eq!(d.scifio_scales.as_deref(), Some(&[1.0, 1.0, 5.0, 1.0][..]));
        assert_eq!(d.unit_in_um(), None);
        let d = Description::parse("ImageJ=1.53t\nimages=6\nslices=3\nframes=2\nunit=nm\nspacing=250\nfinterval=2\ntunit=min\n").unwrap();
        assert_eq!(d.unit_in_um(), Some(1e-3));
        assert_eq!(d.frame_interval_s(), Some(120.0));
        assert!(Description::parse("{\"shape\": [3, 4]}").is_none());
    }
}
