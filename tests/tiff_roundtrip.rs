//! Hyperstack TIFF round trips through cellsdf's own reader and writer, and bad files.

use cellsdf::io::{
    read_hyperstack, read_hyperstack_with_limits, write_hyperstack, AnyStack, Hyperstack,
    ReadLimits,
};
use cellsdf::{Calibration, Error, VoxelSize};
use ndarray::Array4;

fn calib() -> Calibration {
    Calibration {
        voxel_um: Some(VoxelSize {
            x: 0.09,
            y: 0.09,
            z: 1.0,
        }),
        frame_interval_s: Some(60.0),
    }
}

fn pattern<T>(f: impl Fn(usize) -> T) -> Array4<T> {
    Array4::from_shape_fn(
        (3, 4, 5, 7),
        |(t, z, y, x)| f(((t * 4 + z) * 5 + y) * 7 + x),
    )
}

#[test]
fn every_dtype_round_trips_with_calibration() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.tif");

    let u8s = Hyperstack::new(pattern(|i| (i * 37 % 256) as u8), calib());
    write_hyperstack(&p, &u8s).unwrap();
    assert_eq!(read_hyperstack(&p).unwrap(), AnyStack::U8(u8s));

    let u16s = Hyperstack::new(pattern(|i| (i * 2971 % 65536) as u16), calib());
    write_hyperstack(&p, &u16s).unwrap();
    assert_eq!(read_hyperstack(&p).unwrap(), AnyStack::U16(u16s));

    let u32s = Hyperstack::new(pattern(|i| (i as u32).wrapping_mul(2_654_435_761)), calib());
    write_hyperstack(&p, &u32s).unwrap();
    assert_eq!(read_hyperstack(&p).unwrap(), AnyStack::U32(u32s));

    let f32s = Hyperstack::new(pattern(|i| (i as f32 - 200.0) * 0.37e-3), calib());
    write_hyperstack(&p, &f32s).unwrap();
    match read_hyperstack(&p).unwrap() {
        AnyStack::F32(h) => {
            assert_eq!(h.data, f32s.data);
            let v = h.calibration.voxel_um.unwrap();
            assert!((v.x - 0.09).abs() < 1e-12 && (v.y - 0.09).abs() < 1e-12 && v.z == 1.0);
            assert_eq!(h.calibration.frame_interval_s, Some(60.0));
        }
        other => panic!("read back {}", other.dtype_name()),
    }
}

#[test]
fn single_frame_and_uncalibrated_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("one.tif");
    let s = Hyperstack::new(
        Array4::from_shape_fn((1, 3, 4, 5), |(_, z, y, x)| (z + y + x) as u8),
        Calibration::default(),
    );
    write_hyperstack(&p, &s).unwrap();
    let r = read_hyperstack(&p).unwrap();
    assert_eq!(r.dims(), (1, 3, 4, 5));
    assert_eq!(r.calibration(), Calibration::default());
    let t = Hyperstack::new(
        Array4::<u16>::zeros((4, 1, 2, 2)),
        Calibration {
            voxel_um: Some(VoxelSize::isotropic(0.5)),
            frame_interval_s: Some(2.5),
        },
    );
    write_hyperstack(&p, &t).unwrap();
    let r = read_hyperstack(&p).unwrap();
    assert_eq!(r.dims(), (4, 1, 2, 2));
    assert_eq!(r.calibration().frame_interval_s, Some(2.5));
}

#[test]
fn bad_files_give_errors_that_name_them() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tif");
    let e = read_hyperstack(&missing).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("missing.tif"));

    let good = dir.path().join("good.tif");
    let s = Hyperstack::new(Array4::<u16>::ones((2, 3, 16, 16)), calib());
    write_hyperstack(&good, &s).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    // Truncated: cut inside the pixel block, and cut inside the directories.
    for cut in [bytes.len() / 3, bytes.len() - 40] {
        let t = dir.path().join(format!("trunc{cut}.tif"));
        std::fs::write(&t, &bytes[..cut]).unwrap();
        let e = read_hyperstack(&t).unwrap_err();
        assert!(matches!(e, Error::Format { .. }), "{e}");
        assert!(e.to_string().contains(&format!("trunc{cut}.tif")), "{e}");
    }
    // Not a TIFF at all.
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"this is not an image").unwrap();
    let e = read_hyperstack(&junk).unwrap_err();
    assert!(
        e.to_string().contains("junk.tif") && e.to_string().contains("TIFF"),
        "{e}"
    );
    // Over the caller's size limit.
    let e = read_hyperstack_with_limits(&good, &ReadLimits { max_bytes: 1000 }).unwrap_err();
    assert!(e.to_string().contains("exceeds the reading limit"), "{e}");
}

#[test]
fn writing_refuses_bad_stacks_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.tif");
    let empty = Hyperstack::new(Array4::<u8>::zeros((0, 1, 1, 1)), Calibration::default());
    assert!(matches!(
        write_hyperstack(&p, &empty),
        Err(Error::InvalidArgument { .. })
    ));
    let bad = Hyperstack::new(
        Array4::<u8>::zeros((1, 1, 1, 1)),
        Calibration {
            voxel_um: Some(VoxelSize::isotropic(-1.0)),
            frame_interval_s: None,
        },
    );
    assert!(write_hyperstack(&p, &bad).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn labels_convert_from_integer_types_only() {
    let h = Hyperstack::new(
        Array4::from_elem((1, 1, 1, 2), 3i32),
        Calibration::default(),
    );
    assert_eq!(
        AnyStack::I32(h).into_labels("l.tif").unwrap().data[[0, 0, 0, 1]],
        3
    );
    let neg = Hyperstack::new(
        Array4::from_elem((1, 1, 1, 2), -1i16),
        Calibration::default(),
    );
    assert!(AnyStack::I16(neg)
        .into_labels("l.tif")
        .unwrap_err()
        .to_string()
        .contains("negative"));
    let f = Hyperstack::new(
        Array4::from_elem((1, 1, 1, 2), 1.0f32),
        Calibration::default(),
    );
    assert!(AnyStack::F32(f).into_labels("l.tif").is_err());
}
