//! Measuring, below the model: shape descriptors of cells in micrometre units, descriptor
//! tables, mask overlap, the two-sample Kolmogorov-Smirnov test, novelty (nearest-sequence
//! Jaccard), plots and the comparison report. Nothing here knows about models; evaluating a
//! model lives in `workflow::evaluate`.

mod ks;
mod novelty;
mod overlap;
mod plots;
mod report;
mod shape;
mod table;

pub use ks::{ks_2samp, ks_groups_permuted, KsTest, GROUP_PERMUTATIONS, MAX_EXACT_N};
pub use novelty::{aligned_jaccard, median, nearest_jaccard, BitMask, MaskSequence, MAX_SHIFT};
pub use overlap::{overlap_by, overlap_sequence, Overlap};
pub use plots::{box_plot, escape, line_plot, qq_plot, quantile};
pub use report::{
    mean_sd, report_files, write_report, ComparedDescriptor, DescriptorSet, COMPARED,
};
pub use shape::{describe_mask, describe_mesh, sphericity, ShapeDescriptors};
pub use table::{describe_stack, read_cell_column, read_column, write_table, Row, COLUMNS};
