//! Descriptor tables: every labelled cell of every frame of a set of stacks, as CSV.

use super::shape::{describe_mask, ShapeDescriptors};
use crate::error::{Error, Result};
use crate::io::{write_atomic, Hyperstack};
use crate::progress::{check, Progress};
use crate::units::VoxelSize;
use crate::volume::{label_boxes, label_mask, BoundingBox};
use ndarray::Axis;
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// Descriptors of one cell (label) in one frame of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// File (or sequence) the cell comes from.
    pub source: String,
    /// Frame index (0-based).
    pub frame: usize,
    /// Label value in that file (1 for binary masks).
    pub label: u32,
    pub shape: ShapeDescriptors,
}

/// Column names of the CSV table, in order.
pub const COLUMNS: [&str; 18] = [
    "source",
    "frame",
    "label",
    "volume_um3",
    "voxel_volume_um3",
    "surface_um2",
    "sphericity",
    "inverse_sphericity",
    "components",
    "euler",
    "genus",
    "extent_x_um",
    "extent_y_um",
    "extent_z_um",
    "centroid_x_um",
    "centroid_y_um",
    "centroid_z_um",
    "time_s",
];

/// Describes every non-zero label of every frame of `stack` ([t, z, y, x]); each label is
/// one cell (all its components together). Empty frames give no rows. `voxel` overrides the
/// stack's calibration; one of the two is required. A binary mask as ImageJ writes it (only
/// 0 and 255 anywhere in the stack) is one cell labelled 1, as cellsdf's own masks (0/1).
pub fn describe_stack(
    stack: &Hyperstack<u32>,
    source: &str,
    voxel: Option<VoxelSize>,
    progress: &dyn Progress,
) -> Result<Vec<Row>> {
    let voxel = voxel.or(stack.calibration.voxel_um).ok_or_else(|| {
        Error::invalid(
            "voxel size",
            format!(
                "{source} has no voxel size in its calibration; give one with --voxel-um X,Y,Z"
            ),
        )
    })?;
    let frames = stack.data.len_of(Axis(0));
    // Each label is cropped to its bounding box: cost per label follows its size.
    let boxes: Vec<Vec<(u32, BoundingBox)>> = stack
        .data
        .axis_iter(Axis(0))
        .map(|frame| label_boxes(frame).into_iter().collect())
        .collect();
    // ImageJ's binary mask: 255 is the only label there is.
    let binary_255 = boxes.iter().any(|b| !b.is_empty())
        && boxes.iter().flatten().all(|&(label, _)| label == 255);
    let mut rows = Vec::new();
    for (t, (frame, boxes)) in stack.data.axis_iter(Axis(0)).zip(&boxes).enumerate() {
        let described: Result<Vec<Row>> = boxes
            .par_iter()
            .map(|&(label, bbox)| {
                let mask = label_mask(frame, label, bbox);
                let mut shape = describe_mask(mask.view(), voxel)?;
                let offset = [
                    bbox.0[2] as f64 * voxel.x,
                    bbox.0[1] as f64 * voxel.y,
                    bbox.0[0] as f64 * voxel.z,
                ];
                for (c, o) in shape.centroid_um.iter_mut().zip(offset) {
                    *c += o;
                }
                Ok(Row {
                    source: source.to_string(),
                    frame: t,
                    label: if binary_255 { 1 } else { label },
                    shape,
                })
            })
            .collect();
        rows.extend(described?);
        check(progress, (t + 1) as f32 / frames as f32, "describing")?;
    }
    Ok(rows)
}

impl Row {
    /// The row's numbers in [`COLUMNS`] order without `source`: frame, label, volumes, area,
    /// sphericity and its inverse, components, Euler, genus, extents, centroid, and
    /// `time_s` = frame * `frame_interval_s` (NaN when the interval is unknown).
    pub fn values(&self, frame_interval_s: Option<f64>) -> [f64; COLUMNS.len() - 1] {
        let d = &self.shape;
        [
            self.frame as f64,
            self.label as f64,
            d.volume_um3,
            d.voxel_volume_um3,
            d.surface_um2,
            d.sphericity,
            d.inverse_sphericity,
            d.components as f64,
            d.euler as f64,
            d.genus as f64,
            d.extent_um[0],
            d.extent_um[1],
            d.extent_um[2],
            d.centroid_um[0],
            d.centroid_um[1],
            d.centroid_um[2],
            frame_interval_s.map_or(f64::NAN, |dt| dt * self.frame as f64),
        ]
    }
}

/// A CSV cell: the number as Rust prints it (integers without a decimal point), blank for NaN.
fn fmt(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Writes `rows` as CSV (header [`COLUMNS`]); `time_s` is frame * `frame_interval_s` when
/// known. Atomic.
pub fn write_table(rows: &[Row], frame_interval_s: Option<f64>, path: &Path) -> Result<()> {
    write_atomic(path, |w| {
        let io = |e| Error::io(path, e);
        writeln!(w, "{}", COLUMNS.join(",")).map_err(io)?;
        for r in rows {
            let mut cells = vec![csv_text(&r.source)];
            cells.extend(r.values(frame_interval_s).map(fmt));
            writeln!(w, "{}", cells.join(",")).map_err(io)?;
        }
        Ok(())
    })
}

fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The numbers of column `column` of a CSV table, in row order (empty cells skipped).
pub fn read_column(path: &Path, column: &str) -> Result<Vec<f64>> {
    Ok(read_cell_column(path, column)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// The numbers of column `column` of a descriptor table with the cell each belongs to
/// (`source` and `label`, joined by a tab; the row number where the table has neither), in
/// row order, empty cells skipped. Rows of one cell are its frames.
pub fn read_cell_column(path: &Path, column: &str) -> Result<Vec<(String, f64)>> {
    Ok(read_cell_columns(path, &[column])?
        .pop()
        .expect("one column asked, one read"))
}

/// [`read_cell_column`] of each of `columns`, in that order, from one reading of the table.
/// The first bad cell in row order is the error.
pub(crate) fn read_cell_columns(path: &Path, columns: &[&str]) -> Result<Vec<Vec<(String, f64)>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| Error::format(path, "empty table"))?
        .split(',')
        .collect();
    let position = |name: &str| header.iter().position(|h| *h == name);
    let cols: Vec<usize> = columns
        .iter()
        .map(|column| {
            position(column)
                .ok_or_else(|| Error::format(path, format!("no column {column:?} in the table")))
        })
        .collect::<Result<_>>()?;
    let cell_columns: Vec<usize> = ["source", "label"]
        .iter()
        .filter_map(|c| position(c))
        .collect();
    let mut out = vec![Vec::new(); columns.len()];
    for (i, line) in lines.enumerate() {
        // Sources are the only quoted column; split after it.
        let fields = split_csv(line);
        let key = if cell_columns.is_empty() {
            format!("row {}", i + 2)
        } else {
            cell_columns
                .iter()
                .map(|&c| fields.get(c).map_or("", String::as_str))
                .collect::<Vec<_>>()
                .join("\t")
        };
        for ((&col, column), values) in cols.iter().zip(columns).zip(&mut out) {
            let cell = fields.get(col).ok_or_else(|| {
                Error::format(path, format!("line {} has {} fields", i + 2, fields.len()))
            })?;
            if cell.is_empty() {
                continue;
            }
            let value = cell.parse::<f64>().map_err(|_| {
                Error::format(
                    path,
                    format!("line {}: {column} = {cell:?} is not a number", i + 2),
                )
            })?;
            values.push((key.clone(), value));
        }
    }
    Ok(out)
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                out.last_mut().unwrap().push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use crate::units::Calibration;
    use ndarray::Array4;

    fn stack(values: &[(usize, u32)]) -> Hyperstack<u32> {
        let mut data = Array4::<u32>::zeros((1, 6, 6, 12));
        for &(x0, v) in values {
            data.slice_mut(ndarray::s![0, 1..4, 1..4, x0..x0 + 3])
                .fill(v);
        }
        Hyperstack::new(data, Calibration::default())
    }

    #[test]
    fn imagej_binary_masks_are_label_1_and_labels_keep_their_numbers() {
        let v = Some(VoxelSize::isotropic(0.5));
        let rows = describe_stack(&stack(&[(1, 255)]), "mask.tif", v, &Silent).unwrap();
        assert_eq!(rows.iter().map(|r| r.label).collect::<Vec<_>>(), [1]);
        assert!((rows[0].shape.voxel_volume_um3 - 27.0 * 0.125).abs() < 1e-9);
        let rows = describe_stack(&stack(&[(1, 3), (6, 255)]), "l.tif", v, &Silent).unwrap();
        let mut labels: Vec<u32> = rows.iter().map(|r| r.label).collect();
        labels.sort();
        assert_eq!(labels, [3, 255]);
    }
}
