//! The decoder's architecture, stored in every checkpoint.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Activation after every hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// sin(omega x), SIREN (the paper's model).
    Sine,
    /// max(0, x) (the paper's baseline).
    Relu,
}

/// Layout of the conditional SDF network f(code, x, y, z, t).
///
/// Input: [code (code_size), x, y, z, t]. `layers` linear layers lin0 .. lin{layers-1}:
/// lin0 maps the whole input to `width - 4` units; every later layer gets the previous
/// activation concatenated with the 4 coordinates (`width` inputs), except the layers listed
/// in `full_input_at`, which get the whole input instead (`width - 4 + code_size + 4`); the
/// last layer outputs the SDF (no activation). The paper: code 192, width 128, 11 layers,
/// full input at 4 and 7, sine with omega 30: 216,137 parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchConfig {
    pub code_size: usize,
    pub width: usize,
    pub layers: usize,
    pub full_input_at: Vec<usize>,
    pub activation: Activation,
    pub omega: f64,
    /// Learn one rotation per sequence (3 Euler angles applied to x, y, z before the
    /// network; the journal version), so that orientation is not stored in the code.
    #[serde(default)]
    pub learned_rotation: bool,
    /// How lin0's coordinate columns are initialised (sine only; training only).
    #[serde(default)]
    pub coordinate_init: CoordinateInit,
}

/// Initial weights of lin0's coordinate columns (x, y, z, t) of a sine network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CoordinateInit {
    /// As the reference: U(+-1/fan_in) with fan_in = code size + 4, so omega x w stays below
    /// 30 / 196 = 0.15 rad per model unit and the network starts nearly linear in x.
    #[default]
    Reference,
    /// As a SIREN first layer whose inputs are the 4 coordinates: U(+-1/4), frequencies up
    /// to 30 / 4 = 7.5 rad per model unit from the start; the code columns keep the
    /// reference's U(+-1/fan_in).
    Siren,
}

impl ArchConfig {
    /// The paper's network.
    pub fn paper() -> Self {
        ArchConfig {
            code_size: 192,
            width: 128,
            layers: 11,
            full_input_at: vec![4, 7],
            activation: Activation::Sine,
            omega: 30.0,
            learned_rotation: false,
            coordinate_init: CoordinateInit::Reference,
        }
    }

    /// A small network for tests, the bundled default models and CPU experiments.
    pub fn small() -> Self {
        ArchConfig {
            code_size: 32,
            width: 64,
            layers: 6,
            full_input_at: vec![3],
            activation: Activation::Sine,
            omega: 30.0,
            learned_rotation: false,
            coordinate_init: CoordinateInit::Reference,
        }
    }

    /// `paper`, `small`, or a JSON file holding an [`ArchConfig`].
    pub fn named(name: &str) -> Result<Self> {
        match name {
            "paper" => Ok(Self::paper()),
            "small" => Ok(Self::small()),
            path => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                let c: ArchConfig = serde_json::from_str(&text)
                    .map_err(|e| Error::format(path, format!("not an architecture config: {e}")))?;
                c.validate()?;
                Ok(c)
            }
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.code_size == 0 || self.code_size > 4096 {
            return Err(Error::invalid("arch.code_size", "must be 1 to 4096"));
        }
        if self.width < 5 || self.width > 8192 {
            return Err(Error::invalid("arch.width", "must be 5 to 8192"));
        }
        if self.layers < 2 || self.layers > 64 {
            return Err(Error::invalid("arch.layers", "must be 2 to 64"));
        }
        if let Some(&l) = self
            .full_input_at
            .iter()
            .find(|&&l| l == 0 || l >= self.layers - 1)
        {
            return Err(Error::invalid(
                "arch.full_input_at",
                format!(
                    "layer {l} is not a hidden layer after the first (1..{})",
                    self.layers - 2
                ),
            ));
        }
        if !(self.omega.is_finite() && self.omega > 0.0) {
            return Err(Error::invalid("arch.omega", "must be positive"));
        }
        Ok(())
    }

    /// Width of the input vector: code plus (x, y, z, t).
    pub fn input_size(&self) -> usize {
        self.code_size + 4
    }

    /// (inputs, outputs) of linear layer `l`.
    pub fn layer_shape(&self, l: usize) -> (usize, usize) {
        let hidden = self.width - 4;
        let out = if l + 1 == self.layers { 1 } else { hidden };
        let inp = if l == 0 {
            self.input_size()
        } else if self.full_input_at.contains(&l) {
            hidden + self.input_size()
        } else {
            hidden + 4
        };
        (inp, out)
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        (0..self.layers)
            .map(|l| {
                let (i, o) = self.layer_shape(l);
                i * o + o
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_network_has_216137_parameters() {
        let c = ArchConfig::paper();
        assert_eq!(c.parameter_count(), 216_137);
        assert_eq!(c.layer_shape(0), (196, 124));
        assert_eq!(c.layer_shape(4), (320, 124));
        assert_eq!(c.layer_shape(7), (320, 124));
        assert_eq!(c.layer_shape(5), (128, 124));
        assert_eq!(c.layer_shape(10), (128, 1));
        c.validate().unwrap();
        ArchConfig::small().validate().unwrap();
        let bad = ArchConfig {
            full_input_at: vec![10],
            ..ArchConfig::paper()
        };
        assert!(bad.validate().is_err());
    }
}
