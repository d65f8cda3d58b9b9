//! Adam (Kingma & Ba), written out on tensors so that its state can be saved in checkpoints
//! and a resumed run continues exactly; the update is PyTorch's `torch.optim.Adam`.

use std::collections::BTreeMap;
use tch::Tensor;

/// One parameter tensor with its learning-rate group.
pub struct Param {
    pub name: String,
    pub tensor: Tensor,
    pub group: usize,
}

pub struct Adam {
    pub params: Vec<Param>,
    /// Learning rate per group.
    pub lr: Vec<f64>,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub step: i64,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl Adam {
    pub fn new(params: Vec<Param>, lr: Vec<f64>) -> Adam {
        let m = params.iter().map(|p| p.tensor.zeros_like()).collect();
        let v = params.iter().map(|p| p.tensor.zeros_like()).collect();
        Adam {
            params,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 0,
            m,
            v,
        }
    }

    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.tensor.zero_grad();
        }
    }

    /// One update from the current gradients (parameters without a gradient are left alone).
    pub fn step(&mut self) {
        self.step += 1;
        let bc1 = 1.0 - self.beta1.powi(self.step as i32);
        let bc2 = 1.0 - self.beta2.powi(self.step as i32);
        tch::no_grad(|| {
            for (i, p) in self.params.iter_mut().enumerate() {
                let g = p.tensor.grad();
                if !g.defined() {
                    continue;
                }
                let _ = self.m[i]
                    .g_mul_scalar_(self.beta1)
                    .g_add_(&(&g * (1.0 - self.beta1)));
                let _ = self.v[i]
                    .g_mul_scalar_(self.beta2)
                    .g_add_(&(&g * &g * (1.0 - self.beta2)));
                let denom = self.v[i].sqrt() / bc2.sqrt() + self.eps;
                let update = &self.m[i] / denom * (self.lr[p.group] / bc1);
                let _ = p.tensor.g_sub_(&update);
            }
        });
    }

    /// State tensors for a checkpoint: `adam.m.<name>`, `adam.v.<name>`.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            out.push((format!("adam.m.{}", p.name), self.m[i].shallow_clone()));
            out.push((format!("adam.v.{}", p.name), self.v[i].shallow_clone()));
        }
        out
    }

    /// Restores the state saved by [`Adam::state`]; `false` when a tensor is missing.
    pub fn restore(&mut self, tensors: &BTreeMap<String, Tensor>, step: i64) -> bool {
        for (i, p) in self.params.iter().enumerate() {
            let (Some(m), Some(v)) = (
                tensors.get(&format!("adam.m.{}", p.name)),
                tensors.get(&format!("adam.v.{}", p.name)),
            ) else {
                return false;
            };
            if m.size() != self.m[i].size() || v.size() != self.v[i].size() {
                return false;
            }
            tch::no_grad(|| {
                self.m[i].copy_(m);
                self.v[i].copy_(v);
            });
        }
        self.step = step;
        true
    }
}
