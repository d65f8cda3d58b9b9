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

/// Progress as text lines at an interval, for runs without a terminal (CI logs, cluster
/// jobs, `nohup`), where a progress bar shows nothing. [`ProgressLines::due`] returns the
/// line to print when at least `every` has passed since the last one (the first report
/// prints at once), and always for the final report (fraction 1).
pub struct ProgressLines {
    what: String,
    every: std::time::Duration,
    start: std::time::Instant,
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ProgressLines {
    pub fn new(what: &str, every: std::time::Duration) -> ProgressLines {
        ProgressLines {
            what: what.to_string(),
            every,
            start: std::time::Instant::now(),
            last: std::sync::Mutex::new(None),
        }
    }

    /// The line for this report, if one is due.
    pub fn due(&self, fraction: f32, stage: &str) -> Option<String> {
        let now = std::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let print = match *last {
            None => true,
            Some(t) => now.duration_since(t) >= self.every || fraction >= 1.0,
        };
        if !print {
            return None;
        }
        *last = Some(now);
        Some(progress_line(
            &self.what,
            fraction,
            stage,
            now.duration_since(self.start).as_secs_f64(),
        ))
    }
}

/// "what: 42.0 % stage (elapsed 1m05s, eta 1m30s)"; the estimate assumes the rest goes at
/// the pace so far, and is left out before 1 % or after the end.
pub fn progress_line(what: &str, fraction: f32, stage: &str, elapsed_s: f64) -> String {
    let f = fraction.clamp(0.0, 1.0) as f64;
    let eta = if (0.01..1.0).contains(&f) {
        format!(", eta {}", duration_text(elapsed_s * (1.0 - f) / f))
    } else {
        String::new()
    };
    let stage = if stage.is_empty() {
        String::new()
    } else {
        format!(" {stage}")
    };
    format!(
        "{what}: {:.1} %{stage} (elapsed {}{eta})",
        100.0 * f,
        duration_text(elapsed_s)
    )
}

/// Seconds as "42s", "3m05s" or "2h07m".
fn duration_text(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lines_carry_percent_stage_and_a_consistent_estimate() {
        assert_eq!(
            progress_line("train", 0.25, "epoch 5/20", 100.0),
            "train: 25.0 % epoch 5/20 (elapsed 1m40s, eta 5m00s)"
        );
        assert_eq!(
            progress_line("synth", 1.0, "", 7265.0),
            "synth: 100.0 % (elapsed 2h01m)"
        );
        assert_eq!(
            progress_line("prepare", 0.001, "scan", 3.0),
            "prepare: 0.1 % scan (elapsed 3s)"
        );
    }

    #[test]
    fn lines_come_at_the_interval_and_at_the_end() {
        let p = ProgressLines::new("x", Duration::from_secs(3600));
        assert!(p.due(0.0, "a").is_some());
        assert!(p.due(0.5, "b").is_none());
        assert!(p.due(1.0, "c").is_some());
        let q = ProgressLines::new("y", Duration::ZERO);
        assert!(q.due(0.1, "").is_some() && q.due(0.2, "").is_some());
    }
}
