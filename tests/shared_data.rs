//! The real label files in ../shared/data are read with the right shape, type, calibration
//! and label counts (counts cross-checked with tifffile + numpy when the test was written:
//! 94 labels in frame 0 and 111 in frame 30 of tgmm-mini, 212 overall; 20 nuclei in cells3d).

mod common;

use cellsdf::io::read_hyperstack;
use std::collections::BTreeSet;

#[test]
fn tgmm_mini_lzw_int32_tracks() {
    let path = common::shared_data().join("tgmm-mini/tgmm-mini.tif");
    let stack = read_hyperstack(&path).unwrap();
    assert_eq!(stack.dims(), (31, 29, 101, 151));
    assert_eq!(stack.dtype_name(), "int32");
    // x/y: 10000 px/cm = 1 um; z: SCIFIO scales say 5 x the x/y scale.
    let v = stack.calibration().voxel_um.expect("calibrated");
    assert!(
        (v.x - 1.0).abs() < 1e-9 && (v.y - 1.0).abs() < 1e-9 && (v.z - 5.0).abs() < 1e-9,
        "{v:?}"
    );
    let labels = stack.into_labels("tgmm-mini.tif").unwrap();
    let count = |t: usize| {
        labels
            .data
            .index_axis(ndarray::Axis(0), t)
            .iter()
            .filter(|&&v| v != 0)
            .collect::<BTreeSet<_>>()
            .len()
    };
    assert_eq!(count(0), 94);
    assert_eq!(count(15), 100);
    assert_eq!(count(30), 111);
    let all: BTreeSet<u32> = labels.data.iter().copied().filter(|&v| v != 0).collect();
    assert_eq!(all.len(), 212);
}

#[test]
fn cells3d_nuclei_uint32_labels() {
    let path = common::shared_data().join("cells3d-nuclei/nuclei_label.tif");
    let stack = read_hyperstack(&path).unwrap();
    assert_eq!(stack.dims(), (1, 60, 256, 256));
    assert_eq!(stack.dtype_name(), "uint32");
    assert_eq!(
        stack.calibration().voxel_um,
        None,
        "the file carries no physical size"
    );
    let labels = stack.into_labels("nuclei_label.tif").unwrap();
    let ids: BTreeSet<u32> = labels.data.iter().copied().filter(|&v| v != 0).collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(*ids.last().unwrap(), 20);
}
