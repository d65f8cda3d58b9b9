//! `cellsdf`: the command-line front end of the cellsdf library, for scripted and cluster use.

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::model::{Activation, ArchConfig};
use cellsdf::phantom::{self, PhantomKind, PhantomOptions};
use cellsdf::train::{reconstruction_ji, train, DeviceChoice, TrainOptions};
use cellsdf::units::{parse_grid_size, parse_voxel_size};
use cellsdf::{Error, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "cellsdf",
    version,
    about = "Neural SDF models of living-cell shapes in 3D+time"
)]
struct Cli {
    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate 3D+time phantom cell sequences (uint8 mask hyperstacks + manifest).
    Phantom {
        /// Phantom class: dividing (C. elegans-like) or filopodial (A549-like).
        #[arg(long)]
        kind: String,
        /// Number of sequences.
        #[arg(long, default_value_t = 4)]
        count: usize,
        /// Frames per sequence.
        #[arg(long, default_value_t = 30)]
        frames: usize,
        /// Grid size X,Y,Z in voxels [default: the class's field of view at --voxel-um].
        #[arg(long)]
        size: Option<String>,
        /// Voxel size X,Y,Z (or one isotropic value) in micrometres.
        #[arg(long, default_value = "0.1")]
        voxel_um: String,
        /// Time between frames in seconds [default: 60 dividing, 20 filopodial].
        #[arg(long)]
        frame_interval: Option<f64>,
        /// Random seed; the same seed gives the same files.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
    /// Turn label images into an SDF training set (samples + grids + dataset.json).
    Prepare {
        /// Label/mask hyperstack TIFFs, folders of them, or CTC folders (man_track.txt).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output dataset directory (replaced if it holds a dataset).
        #[arg(long)]
        out: PathBuf,
        /// Stored SDF grid size N (N^3 per frame); 0 stores none.
        #[arg(long, default_value_t = 64)]
        grid: usize,
        /// SDF samples per frame.
        #[arg(long, default_value_t = 16384)]
        samples_per_frame: usize,
        /// Fraction of samples inside or near the surface (sdf <= band).
        #[arg(long, default_value_t = 0.7)]
        near_fraction: f64,
        /// Near-surface band in model units.
        #[arg(long, default_value_t = 0.1)]
        band: f64,
        /// Voxel size X,Y,Z in um, for files without calibration (overrides it otherwise).
        #[arg(long)]
        voxel_um: Option<String>,
        /// CTC: continue a cell's sequence into both daughters after it divides.
        #[arg(long)]
        follow_divisions: bool,
        /// Drop sequences with fewer frames.
        #[arg(long, default_value_t = 1)]
        min_length: usize,
        /// Keep cells that touch the image border (skipped by default).
        #[arg(long)]
        keep_border: bool,
        /// Seed of the sampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Train the auto-decoder (network + one latent code per sequence) on a dataset.
    Train {
        /// Dataset directory written by `cellsdf prepare`.
        #[arg(long)]
        data: PathBuf,
        /// Model checkpoint to write (.safetensors).
        #[arg(long)]
        out: PathBuf,
        /// Architecture: paper, small, or a JSON config file.
        #[arg(long, default_value = "paper")]
        arch: String,
        /// sine (SIREN, the paper's model) or relu (the paper's baseline).
        #[arg(long)]
        activation: Option<String>,
        /// Learn one rotation per sequence (the journal version).
        #[arg(long)]
        learned_rotation: bool,
        #[arg(long, default_value_t = 100)]
        epochs: usize,
        #[arg(long, default_value_t = 1e-4)]
        lr_net: f64,
        #[arg(long, default_value_t = 1e-3)]
        lr_codes: f64,
        /// Halve both learning rates every N epochs (0: never).
        #[arg(long, default_value_t = 100)]
        halve_every: usize,
        /// Standard deviation of the initial codes.
        #[arg(long, default_value_t = 0.1)]
        sigma: f64,
        /// Points per frame and step [default: all of the frame's samples].
        #[arg(long)]
        points_per_frame: Option<usize>,
        #[arg(long, default_value_t = 1)]
        frames_per_batch: usize,
        /// Draw fresh points from the stored grids every epoch.
        #[arg(long)]
        resample: bool,
        /// auto, cpu or cuda.
        #[arg(long, default_value = "auto")]
        device: String,
        /// CPU threads for libtorch.
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Checkpoint every N epochs (0: only at the end).
        #[arg(long, default_value_t = 10)]
        checkpoint_every: usize,
        /// Continue from this checkpoint.
        #[arg(long)]
        resume: Option<PathBuf>,
        /// After training, report the reconstruction Jaccard index of every training frame.
        #[arg(long)]
        evaluate: bool,
    },
    /// Show the version and the libtorch this build uses.
    Info,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Cancelled) => {
            eprintln!("cellsdf: cancelled; no partial output was written");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("cellsdf: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info => {
            let info = cellsdf::torch_info::torch_info();
            println!("cellsdf {}", env!("CARGO_PKG_VERSION"));
            println!("libtorch: {}", info.libtorch_lib);
            println!("threads: {}", info.threads);
            println!(
                "cuda: {} ({} devices, cudnn {})",
                info.cuda_available, info.cuda_devices, info.cudnn_available
            );
            Ok(())
        }
        Command::Train {
            data,
            out,
            arch,
            activation,
            learned_rotation,
            epochs,
            lr_net,
            lr_codes,
            halve_every,
            sigma,
            points_per_frame,
            frames_per_batch,
            resample,
            device,
            threads,
            seed,
            checkpoint_every,
            resume,
            evaluate,
        } => {
            let mut arch = ArchConfig::named(&arch)?;
            arch.learned_rotation |= learned_rotation;
            match activation.as_deref() {
                None => {}
                Some("sine") => arch.activation = Activation::Sine,
                Some("relu") => arch.activation = Activation::Relu,
                Some(other) => {
                    return Err(Error::invalid(
                        "activation",
                        format!("{other:?} is not sine or relu"),
                    ))
                }
            }
            let opts = TrainOptions {
                arch,
                epochs,
                lr_net,
                lr_codes,
                halve_every,
                sigma,
                points_per_frame,
                frames_per_batch,
                resample,
                device: DeviceChoice::parse(&device)?,
                threads,
                seed,
                checkpoint_every,
                ..TrainOptions::default()
            };
            let dataset = Dataset::open(&data)?;
            let bar = progress_bar(cli.quiet, "train");
            let stop = cancel_on_ctrl_c();
            let report = |fraction: f32, stage: &str| {
                bar.set_position((fraction * 1000.0) as u64);
                if stage.contains("loss") || bar.message().is_empty() {
                    bar.set_message(stage.to_string());
                }
                !stop.load(Ordering::Relaxed)
            };
            let model = train(&dataset, &opts, &out, resume.as_deref(), &report)?;
            bar.finish_and_clear();
            let rec = model.meta.training.as_ref().expect("trained");
            println!(
                "trained {} epochs in {:.0} s: final loss {:.5}; model written to {}",
                rec.epochs_done,
                rec.seconds,
                rec.loss_history.last().copied().unwrap_or(f64::NAN),
                out.display()
            );
            if evaluate {
                let ji = reconstruction_ji(&model, &dataset)?;
                println!(
                    "reconstruction Jaccard index over {} frames: {:.3} +- {:.3} (min {:.3})",
                    ji.len(),
                    mean(&ji),
                    sd(&ji),
                    ji.iter().cloned().fold(f64::INFINITY, f64::min)
                );
            }
            Ok(())
        }
        Command::Prepare {
            inputs,
            out,
            grid,
            samples_per_frame,
            near_fraction,
            band,
            voxel_um,
            follow_divisions,
            min_length,
            keep_border,
            seed,
        } => {
            let opts = PrepareOptions {
                grid,
                samples_per_frame,
                near_fraction,
                band,
                voxel_um: voxel_um.as_deref().map(parse_voxel_size).transpose()?,
                follow_divisions,
                min_length,
                keep_border,
                seed,
                ..PrepareOptions::default()
            };
            let bar = progress_bar(cli.quiet, "prepare");
            let stop = cancel_on_ctrl_c();
            let report = |fraction: f32, stage: &str| {
                bar.set_position((fraction * 1000.0) as u64);
                bar.set_message(stage.to_string());
                !stop.load(Ordering::Relaxed)
            };
            let meta = prepare(&inputs, &out, &opts, &report)?;
            bar.finish_and_clear();
            println!(
                "prepared {} sequences, {} frames ({} samples each{}) into {}",
                meta.sequences.len(),
                meta.frames_total,
                meta.samples_per_frame,
                if meta.grid > 0 {
                    format!(", {0}^3 grids", meta.grid)
                } else {
                    String::new()
                },
                out.display()
            );
            if !meta.skipped.is_empty() {
                let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
                for s in &meta.skipped {
                    let key = s
                        .reason
                        .split(" at time")
                        .next()
                        .unwrap_or(&s.reason)
                        .to_string();
                    *reasons.entry(key).or_default() += 1;
                }
                println!("skipped {} (details in dataset.json):", meta.skipped.len());
                for (r, n) in reasons {
                    println!("  {n} x {r}");
                }
            }
            Ok(())
        }
        Command::Phantom {
            kind,
            count,
            frames,
            size,
            voxel_um,
            frame_interval,
            seed,
            out,
        } => {
            let kind: PhantomKind = kind.parse()?;
            let voxel = parse_voxel_size(&voxel_um)?;
            let mut opts = PhantomOptions::new(kind);
            opts.count = count;
            opts.frames = frames;
            opts.voxel_um = voxel;
            opts.size_xyz = match size {
                Some(s) => parse_grid_size(&s)?,
                None => phantom::default_size(kind, voxel),
            };
            opts.frame_interval_s = frame_interval.unwrap_or(kind.default_frame_interval_s());
            opts.seed = seed;
            let bar = progress_bar(cli.quiet, "phantoms");
            let stop = cancel_on_ctrl_c();
            let report = |fraction: f32, stage: &str| {
                bar.set_position((fraction * 1000.0) as u64);
                bar.set_message(stage.to_string());
                !stop.load(Ordering::Relaxed)
            };
            let manifest = phantom::generate(&opts, &out, &report)?;
            bar.finish_and_clear();
            let [nx, ny, nz] = opts.size_xyz;
            println!(
                "wrote {} {} sequences of {} frames ({}x{}x{} voxels of {}x{}x{} um) to {}",
                count,
                kind,
                frames,
                nx,
                ny,
                nz,
                voxel.x,
                voxel.y,
                voxel.z,
                out.display()
            );
            let (v, a): (Vec<f64>, Vec<f64>) = manifest
                .sequences
                .iter()
                .flat_map(|s| s.frames.iter().map(|f| (f.volume_um3, f.surface_um2)))
                .unzip();
            println!(
                "volume {:.1} +- {:.1} um^3, surface {:.1} +- {:.1} um^2 (analytic, all frames)",
                mean(&v),
                sd(&v),
                mean(&a),
                sd(&a)
            );
            println!("manifest: {}", out.join("manifest.json").display());
            Ok(())
        }
    }
}

fn progress_bar(quiet: bool, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{elapsed_precise}}] {{bar:40}} {{percent:>3}}% {{msg}} (eta {{eta}})"
        ))
        .expect("valid template"),
    );
    bar
}

/// A flag set by Ctrl-C, so that long work stops cleanly (no half-written files).
fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // A second handler cannot be installed; then Ctrl-C simply kills the process.
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::Relaxed));
    flag
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64).sqrt()
}
