//! Physical calibration of images: voxel sizes in micrometres and the frame interval in
//! seconds. Axes are always named (x, y, z) here, never indexed, so that the (t, z, y, x)
//! memory order of arrays cannot be confused with the (x, y, z) order of user options.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Size of one voxel in micrometres along each named axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VoxelSize {
    /// Width of a voxel along x (image columns), um.
    pub x: f64,
    /// Height of a voxel along y (image rows), um.
    pub y: f64,
    /// Depth of a voxel along z (slices), um.
    pub z: f64,
}

impl VoxelSize {
    /// Isotropic voxels of `um` micrometres.
    pub fn isotropic(um: f64) -> Self {
        VoxelSize {
            x: um,
            y: um,
            z: um,
        }
    }

    /// Checks that every size is finite and positive; `name` is the argument reported.
    pub fn validate(&self, name: &str) -> Result<()> {
        for (axis, v) in [("x", self.x), ("y", self.y), ("z", self.z)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(
                    name,
                    format!(
                        "voxel size along {axis} must be a positive number of micrometres, got {v}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The sizes in array axis order [z, y, x] (um).
    pub fn zyx(&self) -> [f64; 3] {
        [self.z, self.y, self.x]
    }

    /// Volume of one voxel in um^3.
    pub fn volume_um3(&self) -> f64 {
        self.x * self.y * self.z
    }
}

/// Calibration of a hyperstack as ImageJ records it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Calibration {
    /// Voxel size in um; `None` when the file carries no physical pixel size.
    pub voxel_um: Option<VoxelSize>,
    /// Time between frames in seconds; `None` when unknown.
    pub frame_interval_s: Option<f64>,
}

/// Parses "X,Y,Z" (or a single "S" for isotropic) micrometres, as given on command lines.
pub fn parse_voxel_size(text: &str) -> Result<VoxelSize> {
    let parts = parse_floats(text, "voxel-um")?;
    let v = match parts.as_slice() {
        [s] => VoxelSize::isotropic(*s),
        [x, y, z] => VoxelSize {
            x: *x,
            y: *y,
            z: *z,
        },
        _ => {
            return Err(Error::invalid(
                "voxel-um",
                format!("expected X,Y,Z or one isotropic size in um, got {text:?}"),
            ))
        }
    };
    v.validate("voxel-um")?;
    Ok(v)
}

/// Parses "X,Y,Z" grid sizes in voxels (each at least 1).
/// Parses "Z,Y,X" voxel counts (an OME-Zarr chunk, in array axis order).
pub fn parse_zyx_chunk(text: &str) -> Result<[u64; 3]> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let v: Vec<u64> = parts
        .iter()
        .filter_map(|p| p.parse::<u64>().ok().filter(|&n| n > 0))
        .collect();
    <[u64; 3]>::try_from(v).map_err(|_| {
        Error::invalid(
            "zarr-chunk",
            format!("expected Z,Y,X positive voxel counts, got {text:?}"),
        )
    })
}

pub fn parse_grid_size(text: &str) -> Result<[usize; 3]> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(Error::invalid(
            "size",
            format!("expected X,Y,Z in voxels, got {text:?}"),
        ));
    }
    let mut out = [0usize; 3];
    for (o, p) in out.iter_mut().zip(&parts) {
        *o = p.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Error::invalid("size", format!("{p:?} is not a positive voxel count"))
        })?;
    }
    Ok(out)
}

fn parse_floats(text: &str, name: &str) -> Result<Vec<f64>> {
    text.split(',')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .map_err(|_| Error::invalid(name, format!("{p:?} is not a number")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        let v = parse_voxel_size("0.09,0.09,1.0").unwrap();
        assert_eq!((v.x, v.y, v.z), (0.09, 0.09, 1.0));
        assert_eq!(parse_voxel_size("0.2").unwrap(), VoxelSize::isotropic(0.2));
        assert!(parse_voxel_size("0.1,-1,1").is_err());
        assert!(parse_voxel_size("0.1,1").is_err());
        assert_eq!(parse_grid_size("64, 48,32").unwrap(), [64, 48, 32]);
        assert!(parse_grid_size("64,0,32").is_err());
        assert!(parse_grid_size("64,32").is_err());
    }
}
