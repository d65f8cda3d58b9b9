//! Progress reporting and cancellation for long work, shared by the CLI (progress bars), the
//! C API (a C callback) and the bindings.

use crate::error::{Error, Result};

/// Receives progress of a long operation. `fraction` runs from 0 to 1; `stage` names the
/// current step. Returning `false` asks the operation to stop: it then returns
/// [`Error::Cancelled`] and leaves no partial output behind.
pub trait Progress: Sync {
    fn report(&self, fraction: f32, stage: &str) -> bool;
}

/// A progress sink that ignores reports and never cancels.
pub struct Silent;

impl Progress for Silent {
    fn report(&self, _fraction: f32, _stage: &str) -> bool {
        true
    }
}

impl<F: Fn(f32, &str) -> bool + Sync> Progress for F {
    fn report(&self, fraction: f32, stage: &str) -> bool {
        self(fraction, stage)
    }
}

/// Reports `fraction` and turns a cancel request into [`Error::Cancelled`].
pub fn check(progress: &dyn Progress, fraction: f32, stage: &str) -> Result<()> {
    if progress.report(fraction.clamp(0.0, 1.0), stage) {
        Ok(())
    } else {
        Err(Error::Cancelled)
    }
}
