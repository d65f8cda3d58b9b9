//! The operations users name, above every other module: render sets of sequences
//! (synthesize, reconstruct, interpolate) into a folder, describe and mesh label images,
//! resolve a model argument, and evaluate a model against its
//! training set. The CLI and the C API (and through it the Python and Java bindings and the
//! napari and Fiji plugins) call these; none of them re-implements a step.

mod calibrate;
mod evaluate;
mod labels;
mod model_ref;
mod render_set;

pub use calibrate::{
    calibrate_files, calibrate_to_file, read_raw_and_labels, realism_report, REALISM_FILES,
};
pub use evaluate::{
    evaluate_model, fit_tubes, reconstruction_ji, reconstruction_ji_of, EvaluateOptions,
    EvaluationSummary,
};
pub use labels::{describe_files, mesh_file, mesh_labels, WrittenMesh};
pub use model_ref::{
    bundled_model_dirs, resolve_model, resolve_profile, BUNDLED_CLASSES, BUNDLED_PROFILES,
};
pub use render_set::{render_jobs, render_to_folder, RenderJob, RenderRequest, RenderSummary};
