//! From label images to SDF training sets: sources (label hyperstacks, CTC folders), the
//! plan of sequences (persistent ids, lineage through divisions, skipped cells), and the
//! dataset on disk (format and reader).

mod align;
mod format;
mod plan;
mod prepare;
mod replace;
mod source;

pub use align::{centroid_um, principal_axes, Alignment, Centring};
pub use format::{Dataset, DatasetMeta, FrameMeta, Normalisation, SequenceMeta, FORMAT, VERSION};
pub use plan::{
    plan, BorderPolicy, LabelStats, Moments, PlanOptions, PlannedFrame, PlannedSequence, Scan,
    Skipped,
};
pub use prepare::{
    expand_inputs, prepare, prepare_samples, PrepareOptions, PreparedSamples, ScaleMode,
};
pub use replace::DATASET_FILES;
pub use source::{parse_man_track, parse_man_track_text, LabelSource, Source, Track};
