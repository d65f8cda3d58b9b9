//! Filopodia as tubes (issue 13): branches found in phantom masks against the phantom's
//! exact filopodia; a tube model stored in a model file; synthesis with tubes gives one
//! piece per frame where the network's own shape comes apart.

use cellsdf::filopodia::{find_branches, TubeModel, TubeParams, TubeTrack};
use cellsdf::geometry::{dot, normalize, sub};
use cellsdf::io::{read_labels, OutputDir};
use cellsdf::model::Model;
use cellsdf::phantom::{rasterize, tau_of, CellModel, PhantomKind};
use cellsdf::progress::Silent;
use cellsdf::synth::SynthOptions;
use cellsdf::volume::{label_components, Connectivity};
use cellsdf::workflow::{render_jobs, render_to_folder, RenderRequest};
use cellsdf::VoxelSize;

mod common;

/// Phantom filopodial cells rasterised at 0.1 um (independent ground truth: the phantom's
/// own tubes). Every filopodium reaching at least 1 um beyond the body is found as a
/// branch pointing its way, with its length within 0.5 um, in nearly every case (two that
/// cross can merge into one branch).
#[test]
fn branches_of_phantom_cells_match_their_filopodia() {
    let voxel = 0.1;
    let (mut expected, mut matched, mut length_err) = (0usize, 0usize, Vec::new());
    for index in 0..3 {
        let CellModel::Filopodial(cell) = CellModel::sample(PhantomKind::Filopodial, 2022, index)
        else {
            unreachable!()
        };
        for f in [0, 5, 9] {
            let tau = tau_of(f, 10);
            let n = 224usize;
            let centre = [n as f64 * voxel / 2.0; 3];
            let shape = CellModel::Filopodial(cell.clone()).shape_at(tau, centre);
            let mask = rasterize(&shape, [n; 3], VoxelSize::isotropic(voxel)).mapv(|v| v > 0);
            let found = find_branches(mask.view(), [voxel; 3], &TubeParams::default());
            // Voxel (i, j, k)'s centre is at (i + 0.5) voxel in the phantom's frame and at
            // i voxel here.
            let c = [centre[0] - 0.5 * voxel; 3];
            for (tube, fil) in shape.filopodia.iter().zip(&cell.filopodia) {
                let visible = fil.length_at(tau);
                if visible < 1.0 {
                    continue;
                }
                expected += 1;
                let dir = tube.dir;
                let best = found
                    .branches
                    .iter()
                    .map(|b| (dot(normalize(sub(b.tip, c)), dir), b))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let want = visible;
                match best {
                    Some((cos, b)) if cos > 0.9 && (b.length_um - want).abs() < 0.5 => {
                        matched += 1;
                        length_err.push(b.length_um - want);
                    }
                    other => println!(
                        "missed: cell {index} frame {f} visible {visible:.2} radius {:.2}: {:?}",
                        fil.radius_um,
                        other.map(|(c, b)| (c, b.length_um))
                    ),
                }
            }
        }
    }
    let mean_err = length_err.iter().sum::<f64>() / length_err.len().max(1) as f64;
    println!("{matched} of {expected} filopodia found; mean length error {mean_err:.3} um");
    assert!(expected >= 40, "{expected}");
    assert!(matched * 10 >= expected * 9, "{matched} of {expected}");
    assert!(mean_err.abs() < 0.15, "{mean_err}");
}

fn tube_model() -> TubeModel {
    TubeModel {
        params: TubeParams::default(),
        tracks: (0..6)
            .map(|k| TubeTrack {
                times: vec![-1.0, 0.0, 1.0],
                lengths_um: vec![1.0 + 0.2 * k as f64, 2.0, 2.5],
                radius_um: 0.25,
                tilt_rad: 0.1 * k as f64,
                half_step: 0.5,
            })
            .collect(),
        tracks_per_sequence: vec![6],
        max_bodies: 1,
    }
}

/// The bundled filopodial model given a tube model: stored and read back with the model;
/// synthesis draws the tubes (recorded in the manifest), every frame is one piece, and
/// the same sequences without tubes (the network's shape) are not.
#[test]
fn synthesis_with_tubes_keeps_every_filopodium_attached() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::load(&common::repo().join("models/filopodial.safetensors")).unwrap();
    model.meta.tubes = Some(tube_model());
    let path = dir.path().join("tubes.safetensors");
    model.save(&path, &[]).unwrap();
    let model = Model::load(&path).unwrap();
    assert_eq!(model.meta.tubes, Some(tube_model()));
    let pieces = |tubes: bool| -> (Vec<usize>, serde_json::Value) {
        let out = dir.path().join(format!("synth_{tubes}"));
        let opts = SynthOptions {
            frames: 4,
            voxel_um: Some(VoxelSize::isotropic(0.15)),
            tubes,
            ..SynthOptions::default()
        };
        let request = RenderRequest::Synthesize {
            codes: Default::default(),
            count: 3,
            seed: 5,
            first: 0,
        };
        let jobs = render_jobs(&model, request, &Silent).unwrap();
        let mut folder = OutputDir::create(&out, "synth", false).unwrap();
        render_to_folder(&model, "m", jobs, &opts, &mut folder, &Silent).unwrap();
        let mut counts = Vec::new();
        for k in 0..3 {
            let stack = read_labels(&out.join(format!("synth_{k:03}.tif"))).unwrap();
            for frame in stack.data.outer_iter() {
                counts.push(label_components(frame, Connectivity::Full).1);
            }
        }
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        (counts, manifest)
    };
    let (with, manifest) = pieces(true);
    assert!(with.iter().all(|&c| c == 1), "{with:?}");
    assert_eq!(manifest["sequences"][0]["filopodia_tubes"], 6);
    let (without, manifest) = pieces(false);
    assert!(without.iter().any(|&c| c > 1), "{without:?}");
    assert!(manifest["sequences"][0].get("filopodia_tubes").is_none());
}

/// A model file whose tube model cannot be drawn from is refused on loading, naming the
/// file and the tube model.
#[test]
fn a_broken_tube_model_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::load(&common::repo().join("models/filopodial.safetensors")).unwrap();
    let mut broken = tube_model();
    broken.tracks[2].lengths_um.pop();
    model.meta.tubes = Some(broken);
    let path = dir.path().join("broken.safetensors");
    model.save(&path, &[]).unwrap();
    let e = Model::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("broken.safetensors") && e.contains("tube model"),
        "{e}"
    );
}

/// `cellsdf tubes` on filopodial phantoms finds and follows their filopodia and writes the
/// model with them; on cells without filopodia (dividing phantoms early in the cycle: one
/// smooth body) it refuses, says why, and writes nothing.
#[test]
fn the_tubes_command_learns_filopodia_and_refuses_cells_without() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let model = common::repo().join("models/filopodial.safetensors");
    let model = model.to_string_lossy();
    for (kind, frames) in [("filopodial", "3"), ("dividing", "1")] {
        common::cli(&[
            "phantom",
            "--kind",
            kind,
            "--count",
            "2",
            "--frames",
            frames,
            "--voxel-um",
            "0.1",
            "--seed",
            "3",
            "--out",
            &d(kind),
        ]);
        common::cli(&[
            "prepare",
            &d(kind),
            "--out",
            &d(&format!("{kind}_ds")),
            "--grid",
            "128",
            "--samples-per-frame",
            "1024",
        ]);
    }
    let out = common::cli(&[
        "tubes",
        "--model",
        &model,
        "--data",
        &d("filopodial_ds"),
        "--out",
        &d("m.safetensors"),
    ]);
    assert!(out.contains("filopodium tracks in 2 sequences"), "{out}");
    let tubes = Model::load(&dir.path().join("m.safetensors"))
        .unwrap()
        .meta
        .tubes
        .unwrap();
    assert_eq!(tubes.tracks_per_sequence.len(), 2);
    // The phantoms' filopodia: several per cell, most seen in more than one frame.
    assert!(tubes.tracks.len() >= 6, "{}", tubes.tracks.len());
    let followed = tubes.tracks.iter().filter(|t| t.times.len() > 1).count();
    assert!(
        2 * followed > tubes.tracks.len(),
        "{followed} of {}",
        tubes.tracks.len()
    );

    let r = common::cli_output(&[
        "tubes",
        "--model",
        &model,
        "--data",
        &d("dividing_ds"),
        "--out",
        &d("d.safetensors"),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains("no filopodia found"),
        "{err}"
    );
    assert!(!dir.path().join("d.safetensors").exists());
}
