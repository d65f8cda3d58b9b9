//! Where networks run: the CPU engine, or libtorch on a CUDA device (builds with the
//! `torch` feature). Rendering on the CPU never needs libtorch; training, code fitting and
//! CUDA do.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// What the user asked for (`--device`, `csdf_device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// CUDA when available, else CPU.
    Auto,
    Cpu,
    Cuda,
}

/// Where a model computes, once resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComputeDevice {
    /// The CPU: rendering through [`crate::engine::Engine`], training through libtorch.
    #[default]
    Cpu,
    /// CUDA device `index` through libtorch.
    Cuda(usize),
}

/// Whether this build can train and fit codes (it links libtorch: the `torch` feature).
pub const fn has_training() -> bool {
    cfg!(feature = "torch")
}

/// The error of an operation that needs libtorch in a build without it.
pub fn training_not_built(what: &str) -> Error {
    Error::Unsupported(format!(
        "{what} needs libtorch, and this build of cellsdf has none (built without the \
         `torch` feature: synthesis, rendering, meshing and measuring work, training, code \
         fitting and CUDA do not)"
    ))
}

impl DeviceChoice {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(Error::invalid(
                "device",
                format!("{s:?} is not auto, cpu or cuda"),
            )),
        }
    }

    /// The device to use: `Auto` is CUDA when libtorch sees one (never in a build without
    /// libtorch), `Cuda` an error when none is there.
    pub fn resolve(self) -> Result<ComputeDevice> {
        match self {
            DeviceChoice::Cpu => Ok(ComputeDevice::Cpu),
            DeviceChoice::Auto if cuda_available() => Ok(ComputeDevice::Cuda(0)),
            DeviceChoice::Auto => Ok(ComputeDevice::Cpu),
            DeviceChoice::Cuda if cuda_available() => Ok(ComputeDevice::Cuda(0)),
            DeviceChoice::Cuda if !has_training() => Err(training_not_built("cuda")),
            DeviceChoice::Cuda => Err(Error::invalid(
                "device",
                "cuda was asked for but libtorch sees no CUDA device",
            )),
        }
    }
}

fn cuda_available() -> bool {
    #[cfg(feature = "torch")]
    {
        tch::Cuda::is_available()
    }
    #[cfg(not(feature = "torch"))]
    {
        false
    }
}

#[cfg(feature = "torch")]
impl ComputeDevice {
    /// The libtorch device.
    pub fn tch(self) -> tch::Device {
        match self {
            ComputeDevice::Cpu => tch::Device::Cpu,
            ComputeDevice::Cuda(i) => tch::Device::Cuda(i),
        }
    }
}
