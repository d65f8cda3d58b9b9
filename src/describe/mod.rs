//! Shape descriptors of cells in micrometre units, mask overlap, the two-sample
//! Kolmogorov-Smirnov test, plots and the comparison report.

mod evaluate;
mod ks;
mod novelty;
mod overlap;
mod plots;
mod report;
mod shape;
mod table;

pub use evaluate::{
    evaluate_model, reconstruction_ji, reconstruction_ji_of, EvaluateOptions, EvaluationSummary,
};
pub use ks::{ks_2samp, KsTest, MAX_EXACT_N};
pub use novelty::{aligned_jaccard, median, nearest_jaccard, BitMask, MaskSequence};
pub use overlap::{overlap_by, overlap_sequence, Overlap};
pub use plots::{box_plot, qq_plot, quantile};
pub use report::{
    mean_sd, report_files, write_report, ComparedDescriptor, DescriptorSet, COMPARED,
};
pub use shape::{describe_mask, describe_mesh, sphericity, ShapeDescriptors};
pub use table::{describe_stack, read_column, write_table, Row, COLUMNS};
