//! `cellsdf`: the command-line front end of the cellsdf library, for scripted and cluster use.

use cellsdf::dataset::{prepare, BorderPolicy, Dataset, PrepareOptions};
use cellsdf::describe::mean_sd;
use cellsdf::device::DeviceChoice;
use cellsdf::filopodia::TubeParams;
use cellsdf::io::{claim_file, refuse_inputs_as_output, Axes, OutputDir};
use cellsdf::model::{Activation, ArchConfig, CoordinateInit, Model};
use cellsdf::phantom::{self, PhantomKind, PhantomOptions};
use cellsdf::synth::{
    fit_code, size::CellSizes, times, write_sequence, CodeSource, Evaluation, FitOptions,
    SynthOptions,
};
use cellsdf::train::{train, TrainOptions};
use cellsdf::units::{parse_grid_size, parse_voxel_size};
use cellsdf::workflow::{
    reconstruction_ji, reconstruction_ji_of, render_jobs, render_to_folder, resolve_model,
    EvaluateOptions, RenderRequest,
};
use cellsdf::VoxelSize;
use cellsdf::{Error, Result};
use clap::{Parser, Subcommand};

#[path = "cellsdf/calibrate_command.rs"]
mod calibrate_command;
#[path = "cellsdf/realism_command.rs"]
mod realism_command;
#[path = "cellsdf/shape_commands.rs"]
mod shape_commands;
#[path = "cellsdf/simulate_command.rs"]
mod simulate_command;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
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
    /// Replace existing files of the output's names even when cellsdf did not write them
    /// (by default only files recorded in the folder's .cellsdf-outputs index are replaced;
    /// other files are never touched).
    #[arg(long, global = true)]
    overwrite: bool,
    /// What the planes of input TIFFs are when their metadata says otherwise: the stored
    /// plane axes, slowest first, then YX: TZYX (the usual order), ZTYX (time varies
    /// fastest, e.g. frames saved as channels after the slices), TYX (every plane a frame)
    /// or ZYX.
    #[arg(long, global = true)]
    axes: Option<String>,
    /// CPU threads for cellsdf's own work and libtorch (default: all cores). Use fewer on
    /// a machine shared with other jobs.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// When stderr is not a terminal (logs, cluster jobs, nohup), print a progress line
    /// every this many seconds instead of a bar (0: every report).
    #[arg(long, global = true, default_value_t = DEFAULT_PROGRESS_EVERY_S)]
    progress_every: f64,
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
        /// Output dataset folder: new, empty, or holding a previous dataset and nothing else
        /// (then replaced atomically); anything else is refused.
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
        /// Draw the near samples from the two-sided band |sdf| <= band only, not from the
        /// whole inside (the reference's rule is sdf <= band).
        #[arg(long)]
        near_surface_only: bool,
        /// dataset: one scale for all cells, so codes learn size (the reference); sequence:
        /// each cell scaled to its own box.
        #[arg(long, default_value = "dataset")]
        scale: String,
        /// Outside distances saturate at this many model units (`none`: exact distances).
        #[arg(long, default_value = "0.5")]
        clamp: String,
        /// Orient each cell by its principal axes over all its frames (`sequence`), of its
        /// first frame (`first`), or keep the image axes (`none`).
        #[arg(long, default_value = "sequence")]
        align: String,
        /// Centre one box on the whole sequence (`sequence`), or every frame on its own cell
        /// (`frame`: for cells that move, so the box holds the cell and not its track; each
        /// frame's shift is recorded in dataset.json).
        #[arg(long, default_value = "sequence")]
        centre: String,
        /// Room around the largest cell: it spans 1 / (1 + margin) of the model cube.
        #[arg(long, default_value_t = 0.1)]
        margin: f64,
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
        /// Keep cells that touch only the first or last z slice (thin stacks, where every
        /// cell spans the depth); cells on the x/y border are still skipped.
        #[arg(long)]
        keep_z_border: bool,
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
        /// Initial weights of the first layer's coordinate columns (sine): `reference`
        /// (U(+-1/fan_in) over code and coordinates) or `siren` (U(+-1/4), a SIREN first layer
        /// over the 4 coordinates).
        #[arg(long)]
        coordinate_init: Option<String>,
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
        /// Weight of the code regulariser mean ||z||^2 / sigma^2 (ramped in over the first
        /// 100 epochs; 0: none).
        #[arg(long, default_value_t = 1e-4)]
        code_reg: f64,
        /// Points per frame and step [default: all of the frame's samples].
        #[arg(long)]
        points_per_frame: Option<usize>,
        /// Frames per optimisation step, evaluated together (each with its own code); the
        /// loss is the mean over all their points
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
    /// Simulate a benchmark dataset: microscope images of several synthesized cells with
    /// exact ground truth, in the Cell Tracking Challenge layout.
    Simulate(simulate_command::SimulateArgs),
    /// Measure an acquisition profile (camera, noise, blur, background, brightness,
    /// texture, bleaching, cells) on a real image with its labels, for `simulate --profile`.
    Calibrate(calibrate_command::CalibrateArgs),
    /// A real acquisition beside a simulated one: one picture at the same display range,
    /// intensity histograms with their KS distance, noise curves, texture autocorrelations
    /// and every calibrated value with its relative difference (realism.html).
    Realism(realism_command::RealismArgs),
    /// Synthesize new cell sequences from a trained model (masks, optionally SDF).
    Synth {
        #[command(flatten)]
        render: RenderArgs,
        /// Number of new sequences.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// How new codes are drawn: neighbours[:RADIUS] (the default: around a learned code
        /// within the learned span, RADIUS x its nearest-neighbour distance, default 1),
        /// fitted[:SHRINKAGE] (a Gaussian fitted to the learned codes and their sizes,
        /// covariance shrunk toward isotropy by SHRINKAGE in [0, 1], default 0), fitted-lw
        /// (Ledoit-Wolf shrinkage),
        /// normal[:SIGMA] (N(0, SIGMA^2), the paper's C. elegans protocol) or
        /// around-learned[:SIGMA] (a learned code plus N(0, SIGMA^2), the paper's filopodial
        /// protocol, default 0.01).
        #[arg(long, default_value = "neighbours", conflicts_with_all = ["sigma", "around_learned"])]
        codes: String,
        /// How new cells get their size: training (the default for neighbours and fitted:
        /// each sequence rendered at the scale that gives it a mean volume drawn from the
        /// training sequences') or decoded (the size its code decodes to).
        #[arg(long, default_value = "training")]
        sizes: String,
        /// Same as --codes normal:S.
        #[arg(long, conflicts_with = "around_learned")]
        sigma: Option<f64>,
        /// Same as --codes around-learned:S.
        #[arg(long)]
        around_learned: Option<f64>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Number of the first sequence (its files synth_FIRST..., its stream (seed,
        /// FIRST)): part of a larger series, identical to the same sequences of the whole.
        #[arg(long, default_value_t = 0)]
        first: usize,
    },
    /// Render training sequence I with its learned code (at any resolution).
    Reconstruct {
        #[command(flatten)]
        render: RenderArgs,
        /// Training sequence index (0-based).
        #[arg(long)]
        sequence: usize,
    },
    /// Morph between training sequences I and J: K sequences along the line of codes.
    Interpolate {
        #[command(flatten)]
        render: RenderArgs,
        #[arg(long)]
        from: usize,
        #[arg(long)]
        to: usize,
        #[arg(long, default_value_t = 5)]
        steps: usize,
    },
    /// Fit a code to an observed mask sequence (network frozen), then optionally render it.
    Fit {
        /// Trained model (.safetensors).
        #[arg(long)]
        model: PathBuf,
        /// Mask or label hyperstack of one cell (sparse frames and few z slices are fine).
        #[arg(long)]
        masks: PathBuf,
        /// Where to write the fitted code (JSON).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 300)]
        iterations: usize,
        /// Voxel size X,Y,Z in um for masks without calibration.
        #[arg(long)]
        voxel_um: Option<String>,
        /// Also render the fitted sequence: frames, isotropic voxel size (um), to this file.
        #[arg(long)]
        render: Option<PathBuf>,
        #[arg(long, default_value_t = 30)]
        frames: usize,
        #[arg(long)]
        render_voxel_um: Option<f64>,
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Triangle meshes (PLY/OBJ/STL, um) of every frame of a mask, label or SDF hyperstack.
    Mesh {
        /// Hyperstack TIFF: float32 SDF (meshed at --level) or masks/labels (each label).
        input: PathBuf,
        /// Iso level of an SDF stack, um [default: 0].
        #[arg(long)]
        level: Option<f32>,
        /// ply (binary), ply-ascii, obj or stl.
        #[arg(long, default_value = "ply")]
        format: String,
        /// Voxel size X,Y,Z in um for stacks without calibration.
        #[arg(long)]
        voxel_um: Option<String>,
        /// Output directory (one file per frame and label).
        #[arg(long)]
        out: PathBuf,
    },
    /// Shape descriptors (um) of every cell in every frame, as a CSV table.
    Describe {
        /// Mask or label hyperstack TIFFs, folders of them, or mesh files (.ply, .obj,
        /// .stl; um).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Voxel size X,Y,Z in um (overrides the files' calibration).
        #[arg(long)]
        voxel_um: Option<String>,
    },
    /// Compare descriptor distributions of original and generated cells: table, KS tests,
    /// box and QQ plots, HTML/Markdown report.
    Compare {
        /// Folder (or file) of mask hyperstacks, or a table from `describe`.
        #[arg(long)]
        original: PathBuf,
        #[arg(long)]
        generated: PathBuf,
        /// Report folder.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        voxel_um: Option<String>,
    },
    /// Evaluate a model on its training set: reconstruction JI and the compare report of
    /// new sequences against the training sequences.
    Evaluate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// New sequences to generate.
        #[arg(long, default_value_t = 16)]
        count: usize,
        /// How new codes are drawn (as `synth --codes`).
        #[arg(long, default_value = "neighbours")]
        codes: String,
        /// How new cells get their size (as `synth --sizes`).
        #[arg(long, default_value = "training")]
        sizes: String,
        /// Only the reconstruction Jaccard index of the first N training sequences (a quick
        /// check; no report is written).
        #[arg(long, conflicts_with = "no_reconstruction")]
        reconstruction_only: Option<usize>,
        /// Skip the reconstruction Jaccard index (compare new sequences only).
        #[arg(long)]
        no_reconstruction: bool,
        /// Compare the network's shapes as rendered, without the model's filopodia tubes.
        #[arg(long)]
        no_tubes: bool,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Learn filopodia as tubes: find the thin branches of a dataset's training masks
    /// (beyond the body, the mask opened with a ball), follow them over the frames by their
    /// bases, and write the model with these tracks (without training state, as `export`);
    /// its renders then draw new filopodia as tubes attached to the body.
    Tubes {
        /// Trained model (.safetensors).
        #[arg(long)]
        model: PathBuf,
        /// The dataset the model was trained on (with grids).
        #[arg(long)]
        data: PathBuf,
        /// Model file to write.
        #[arg(long)]
        out: PathBuf,
        /// Radius of the ball the body is opened with (um).
        #[arg(long, default_value_t = TubeParams::default().opening_um)]
        opening_um: f64,
        /// Shorter branches are rims of the body (um).
        #[arg(long, default_value_t = TubeParams::default().min_length_um)]
        min_length_um: f64,
        /// Bases this close in consecutive frames are one filopodium (um).
        #[arg(long, default_value_t = TubeParams::default().match_um)]
        match_um: f64,
    },
    /// Write a model without its training state (optimiser moments) and with its training
    /// sequences' cell sizes measured (for `--sizes training`): the file to ship.
    Export {
        /// Trained model or checkpoint (.safetensors).
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Show the version and the libtorch this build uses.
    Info,
}

/// Default seconds between progress lines off a terminal.
const DEFAULT_PROGRESS_EVERY_S: f64 = 30.0;

/// Seconds between progress lines off a terminal (set once from `--progress-every`).
static PROGRESS_EVERY: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

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

/// The global flags, for helpers that need them after `cli.command` was taken apart.
#[derive(Clone, Copy)]
struct Flags {
    quiet: bool,
    overwrite: bool,
}

/// The `--axes` override, parsed.
fn axes_of(text: Option<&str>) -> Result<Option<Axes>> {
    text.map(str::parse).transpose()
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

fn run(cli: Cli) -> Result<()> {
    if let Some(n) = cli.threads {
        if !(1..=1024).contains(&n) {
            return Err(Error::invalid(
                "threads",
                format!("is {n}, must be 1 to 1024"),
            ));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| {
                Error::invalid(
                    "threads",
                    format!("{n} threads could not be started ({e}): use fewer"),
                )
            })?;
        #[cfg(feature = "torch")]
        tch::set_num_threads(n as i32);
    }
    let every = cli.progress_every;
    if !(every.is_finite() && (0.0..=86_400.0).contains(&every)) {
        return Err(Error::invalid(
            "progress-every",
            format!("is {every:e}, must be 0 to 86400 seconds"),
        ));
    }
    let _ = PROGRESS_EVERY.set(every);
    let flags = Flags {
        quiet: cli.quiet,
        overwrite: cli.overwrite,
    };
    let axes = axes_of(cli.axes.as_deref())?;
    match cli.command {
        Command::Mesh {
            input,
            level,
            format,
            voxel_um,
            out,
        } => shape_commands::mesh(
            &input,
            level,
            &format,
            voxel_um.as_deref(),
            axes,
            &mut OutputDir::create(&out, "mesh", cli.overwrite)?,
            cli.quiet,
        ),
        Command::Describe {
            inputs,
            out,
            voxel_um,
        } => {
            refuse_inputs_as_output(&out, &inputs, "out")?;
            claim_file(&out, "describe", cli.overwrite)?;
            shape_commands::describe(&inputs, &out, voxel_um.as_deref(), axes, cli.quiet)
        }
        Command::Compare {
            original,
            generated,
            out,
            voxel_um,
        } => shape_commands::compare(
            &original,
            &generated,
            &mut OutputDir::create(&out, "compare", cli.overwrite)?,
            voxel_um.as_deref(),
            axes,
            cli.quiet,
        ),
        Command::Evaluate {
            model,
            data,
            out,
            count,
            codes,
            sizes,
            reconstruction_only: Some(sequences),
            no_reconstruction: _,
            no_tubes: _,
            seed: _,
            device,
        } => {
            let m = load_model(&model, &device)?;
            let d = Dataset::open(&data)?;
            let ji = with_progress(cli.quiet, "reconstruction", false, |report| {
                reconstruction_ji_of(&m, &d, sequences, report)
            })?;
            let (mean, sd) = mean_sd(&ji);
            let _ = (out, count, codes, sizes);
            println!(
                "reconstruction JI {mean:.3} ± {sd:.3} over {} frames of the first {sequences} sequences",
                ji.len()
            );
            Ok(())
        }
        Command::Evaluate {
            model,
            data,
            out,
            count,
            codes,
            sizes,
            reconstruction_only: None,
            no_reconstruction,
            no_tubes,
            seed,
            device,
        } => shape_commands::evaluate(
            &model,
            &data,
            &mut OutputDir::create(&out, "evaluate", cli.overwrite)?,
            EvaluateOptions {
                count,
                seed,
                codes: parse_code_source(&codes, &sizes)?,
                reconstruction: !no_reconstruction,
                tubes: !no_tubes,
            },
            &device,
            cli.quiet,
        ),
        Command::Tubes {
            model,
            data,
            out,
            opening_um,
            min_length_um,
            match_um,
        } => {
            let (mut m, _) = Model::load_with_extra(&model)?;
            let d = Dataset::open(&data)?;
            let params = TubeParams {
                opening_um,
                min_length_um,
                match_um,
            };
            params.validate()?;
            refuse_inputs_as_output(&out, &[model.clone(), data.clone()], "out")?;
            claim_file(&out, "tubes", cli.overwrite)?;
            let tubes = with_progress(cli.quiet, "tubes", false, |report| {
                cellsdf::workflow::fit_tubes(&d, params, report)
            })?;
            let per_seq = &tubes.tracks_per_sequence;
            let frames: usize = tubes.tracks.iter().map(|t| t.times.len()).sum();
            println!(
                "{} filopodium tracks in {} sequences ({:.1} per sequence, {:.1} branches per frame); wrote {}",
                tubes.tracks.len(),
                per_seq.len(),
                tubes.tracks.len() as f64 / per_seq.len() as f64,
                frames as f64 / d.frames_total().max(1) as f64,
                out.display()
            );
            m.meta.tubes = Some(tubes);
            // Sizes of a model with tubes are its bodies' (`cellsdf export` measures them).
            m.meta.sizes = None;
            m.save(&out, &[])?;
            Ok(())
        }
        Command::Export { model, out } => {
            let (mut m, extra) = Model::load_with_extra(&model)?;
            refuse_inputs_as_output(&out, std::slice::from_ref(&model), "out")?;
            claim_file(&out, "export", cli.overwrite)?;
            m.meta.sizes = Some(cellsdf::synth::size::SizeRecord::measure(&m)?);
            m.save(&out, &[])?;
            println!(
                "wrote {} ({} network parameters, {} codes, their cell sizes; dropped {} training tensors)",
                out.display(),
                m.parameter_count(),
                m.n_codes(),
                extra.len()
            );
            Ok(())
        }
        Command::Info => {
            println!("cellsdf {}", env!("CARGO_PKG_VERSION"));
            print_torch_info();
            Ok(())
        }
        Command::Train {
            data,
            out,
            arch,
            activation,
            learned_rotation,
            coordinate_init,
            epochs,
            lr_net,
            lr_codes,
            halve_every,
            sigma,
            code_reg,
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
            if let Some(init) = choose(
                "coordinate-init",
                coordinate_init.as_deref(),
                &[
                    ("reference", CoordinateInit::Reference),
                    ("siren", CoordinateInit::Siren),
                ],
            )? {
                arch.coordinate_init = init;
            }
            if let Some(a) = choose(
                "activation",
                activation.as_deref(),
                &[("sine", Activation::Sine), ("relu", Activation::Relu)],
            )? {
                arch.activation = a;
            }
            let opts = TrainOptions {
                arch,
                epochs,
                lr_net,
                lr_codes,
                halve_every,
                sigma,
                code_reg,
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
            // Continuing a checkpoint into itself updates the file the user named to resume.
            if !resume.as_deref().is_some_and(|r| same_file(r, &out)) {
                claim_file(&out, "train", cli.overwrite)?;
            }
            let done_before = match &resume {
                Some(p) => Model::read_meta(p)?.training.map_or(0, |t| t.epochs_done),
                None => 0,
            };
            let model = with_progress(cli.quiet, "train", true, |report| {
                train(&dataset, &opts, &out, resume.as_deref(), report)
            })?;
            let rec = model.meta.training.as_ref().expect("trained");
            if done_before >= epochs {
                println!(
                    "nothing to train: the checkpoint already holds {done_before} epochs and --epochs is {epochs}; \
                     model written unchanged to {} (raise --epochs to continue)",
                    out.display()
                );
            } else {
                println!(
                    "trained {} epochs in {:.0} s: final loss {:.5}; model written to {}",
                    rec.epochs_done,
                    rec.seconds,
                    rec.loss_history.last().copied().unwrap_or(f64::NAN),
                    out.display()
                );
            }
            if evaluate {
                let ji = reconstruction_ji(&model, &dataset, &cellsdf::progress::Silent)?;
                let (m, sd) = mean_sd(&ji);
                println!(
                    "reconstruction Jaccard index over {} frames: {:.3} +- {:.3} (min {:.3})",
                    ji.len(),
                    m,
                    sd,
                    ji.iter().cloned().fold(f64::INFINITY, f64::min)
                );
            }
            Ok(())
        }
        Command::Synth {
            render,
            count,
            codes,
            sizes,
            sigma,
            around_learned,
            seed,
            first,
        } => {
            let codes = match (sigma, around_learned) {
                (Some(s), _) => CodeSource::Random { sigma: Some(s) },
                (_, Some(s)) => CodeSource::AroundLearned { sigma: s },
                _ => parse_code_source(&codes, &sizes)?,
            };
            let request = RenderRequest::Synthesize {
                codes,
                count,
                seed,
                first,
            };
            render_command(&render, request, flags, "synth")
        }
        Command::Simulate(args) => simulate_command::run(&args, cli.quiet, cli.overwrite),
        Command::Calibrate(args) => calibrate_command::run(&args, axes, cli.quiet, cli.overwrite),
        Command::Realism(args) => realism_command::run(&args, axes, cli.quiet, cli.overwrite),
        Command::Reconstruct { render, sequence } => {
            let request = RenderRequest::Reconstruct { sequence };
            render_command(&render, request, flags, "reconstruct")
        }
        Command::Interpolate {
            render,
            from,
            to,
            steps,
        } => {
            let request = RenderRequest::Interpolate { from, to, steps };
            render_command(&render, request, flags, "interpolate")
        }
        Command::Fit {
            model,
            masks,
            out,
            iterations,
            voxel_um,
            render,
            frames,
            render_voxel_um,
            device,
        } => {
            let m = load_model(&model, &device)?;
            refuse_inputs_as_output(&out, std::slice::from_ref(&masks), "out")?;
            claim_file(&out, "fit", cli.overwrite)?;
            if let Some(r) = &render {
                refuse_inputs_as_output(r, std::slice::from_ref(&masks), "render")?;
                claim_file(r, "fit", cli.overwrite)?;
            }
            let opts = FitOptions {
                iterations,
                voxel_um: voxel_um.as_deref().map(parse_voxel_size).transpose()?,
                axes,
                ..FitOptions::default()
            };
            let fitted = with_progress(cli.quiet, "fit", false, |report| {
                fit_code(&m, &masks, &opts, report)
            })?;
            let json = serde_json::json!({
                "format": "cellsdf-code",
                "version": 1,
                "model": model,
                "masks": masks,
                "code": fitted.code,
                "normalisation": fitted.normalisation,
                "voxel_um": fitted.voxel_um,
                "frame_interval_s": fitted.frame_interval_s,
                "frame_t": fitted.frame_t,
                "loss": fitted.loss,
            });
            let bytes = serde_json::to_vec_pretty(&json)
                .map_err(|e| Error::format(&out, format!("cannot encode the code: {e}")))?;
            cellsdf::io::write_atomic(&out, |w| {
                std::io::Write::write_all(w, &bytes).map_err(|e| Error::io(&out, e))
            })?;
            println!(
                "fitted a code to {} frames of {} (L1 {:.5} model units); wrote {}",
                fitted.frame_t.len(),
                masks.display(),
                fitted.loss,
                out.display()
            );
            if let Some(path) = render {
                let scale = fitted.normalisation.scale_um;
                let voxel = VoxelSize::isotropic(
                    render_voxel_um.unwrap_or(
                        [fitted.voxel_um.x, fitted.voxel_um.y, fitted.voxel_um.z]
                            .into_iter()
                            .fold(f64::INFINITY, f64::min),
                    ),
                );
                let size = [voxel.x, voxel.y, voxel.z].map(|h| (2.0 * scale / h).ceil() as usize);
                let so = SynthOptions {
                    frames,
                    size_xyz: Some(size),
                    voxel_um: Some(voxel),
                    ..SynthOptions::default()
                };
                let grid = so.grid(scale)?;
                let dt = fitted.frame_interval_s.map(|dt| {
                    dt * (fitted.frame_t.len().max(2) - 1) as f64 / (frames.max(2) - 1) as f64
                });
                write_sequence(
                    &m,
                    &fitted.code,
                    None,
                    &grid,
                    &times(frames),
                    dt,
                    so.mode,
                    &path,
                    cellsdf::io::OmeZarrLayout::default(),
                    None,
                    None,
                    &mut Vec::new(),
                    &cellsdf::progress::Silent,
                )?;
                println!(
                    "rendered {frames} frames at {} um isotropic to {}",
                    voxel.x,
                    path.display()
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
            near_surface_only,
            scale,
            clamp,
            align,
            centre,
            margin,
            voxel_um,
            follow_divisions,
            min_length,
            keep_border,
            keep_z_border,
            seed,
        } => {
            let opts = PrepareOptions {
                grid,
                samples_per_frame,
                near_fraction,
                band,
                near_surface_only,
                scale: scale.parse()?,
                align: align.parse()?,
                centre: centre.parse()?,
                fixed_scale_um: None,
                clamp: match clamp.as_str() {
                    "none" => None,
                    c => Some(c.parse().map_err(|_| {
                        Error::invalid("clamp", format!("{c:?} is not a number or none"))
                    })?),
                },
                margin,
                voxel_um: voxel_um.as_deref().map(parse_voxel_size).transpose()?,
                axes,
                follow_divisions,
                min_length,
                border: if keep_border {
                    BorderPolicy::Keep
                } else if keep_z_border {
                    BorderPolicy::KeepZ
                } else {
                    BorderPolicy::Skip
                },
                seed,
            };
            let meta = with_progress(cli.quiet, "prepare", false, |report| {
                prepare(&inputs, &out, &opts, report)
            })?;
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
            let mut dir = OutputDir::create(&out, "phantom", cli.overwrite)?;
            let manifest = with_progress(cli.quiet, "phantoms", false, |report| {
                phantom::generate_into(&opts, &mut dir, report)
            })?;
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
            let ((mv, sv), (ma, sa)) = (mean_sd(&v), mean_sd(&a));
            println!(
                "volume {mv:.1} +- {sv:.1} um^3, surface {ma:.1} +- {sa:.1} um^2 (analytic, all frames)"
            );
            println!("manifest: {}", out.join("manifest.json").display());
            Ok(())
        }
    }
}

/// Options shared by the commands that render sequences.
#[derive(clap::Args)]
struct RenderArgs {
    /// Trained model (.safetensors), or `dividing` / `filopodial` for a bundled default
    /// model (models/ of the installation, or $CELLSDF_MODELS).
    #[arg(long, default_value = "dividing")]
    model: String,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Frames per sequence (any number: t spans the training sequences' duration).
    #[arg(long, default_value_t = SynthOptions::default().frames)]
    frames: usize,
    /// Grid X,Y,Z in voxels [default: 64^3, or what covers the cell at --voxel-um].
    #[arg(long)]
    size: Option<String>,
    /// Voxel size X,Y,Z (or one value) in um [default: the cell's box fills the grid].
    #[arg(long)]
    voxel_um: Option<String>,
    /// Evaluate every voxel instead of the adaptive coarse-to-fine scheme.
    #[arg(long)]
    dense: bool,
    /// Also write the signed distance (float32, um; TIFF only).
    #[arg(long)]
    sdf: bool,
    /// tiff (an ImageJ hyperstack per sequence) or ome-zarr (an OME-Zarr store per
    /// sequence, NGFF 0.5: the mask as image and as labels "cell", a pyramid in y and x).
    #[arg(long, default_value = "tiff")]
    format: String,
    /// OME-Zarr chunk size Z,Y,X in voxels (one frame per chunk in t).
    #[arg(long, default_value = "64,64,64")]
    zarr_chunk: String,
    /// Write the network's shape as rendered, without the model's filopodia tubes (models
    /// made by `cellsdf tubes` draw them by default).
    #[arg(long)]
    no_tubes: bool,
    /// auto, cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
}

impl RenderArgs {
    fn options(&self) -> Result<SynthOptions> {
        Ok(SynthOptions {
            frames: self.frames,
            size_xyz: self.size.as_deref().map(parse_grid_size).transpose()?,
            voxel_um: self.voxel_um.as_deref().map(parse_voxel_size).transpose()?,
            mode: if self.dense {
                Evaluation::Dense
            } else {
                Evaluation::adaptive()
            },
            write_sdf: self.sdf,
            format: self.format.parse()?,
            zarr: cellsdf::io::OmeZarrLayout::with_chunk(cellsdf::units::parse_zyx_chunk(
                &self.zarr_chunk,
            )?)?,
            tubes: !self.no_tubes,
            ..SynthOptions::default()
        })
    }
}

/// Renders `request` with the model and grid options of `args` into `args.out`.
fn render_command(
    args: &RenderArgs,
    request: RenderRequest,
    flags: Flags,
    what: &str,
) -> Result<()> {
    let model = load_model(&resolve_model(&args.model, None)?, &args.device)?;
    let opts = args.options()?;
    let summary = with_progress(flags.quiet, what, false, |report| {
        let jobs = render_jobs(&model, request, report)?;
        let mut out = OutputDir::create(&args.out, "synth", flags.overwrite)?;
        render_to_folder(&model, &args.model, jobs, &opts, &mut out, report)
    })?;
    let (points, voxels, secs) = summary.totals();
    println!(
        "wrote {} sequences of {} frames to {} ({:.1} s; evaluated {:.1} % of {} voxels)",
        summary.records.len(),
        summary.frames,
        args.out.display(),
        secs,
        100.0 * points as f64 / voxels.max(1) as f64,
        voxels
    );
    Ok(())
}

/// The value of `choices` named by the argument `arg`'s text (`None` when not given).
fn choose<T: Copy>(arg: &str, text: Option<&str>, choices: &[(&str, T)]) -> Result<Option<T>> {
    let Some(text) = text else { return Ok(None) };
    match choices.iter().find(|(name, _)| *name == text) {
        Some((_, v)) => Ok(Some(*v)),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            Err(Error::invalid(
                arg,
                format!("{text:?} is not {}", names.join(" or ")),
            ))
        }
    }
}

/// `METHOD[:PARAM]` of `--codes`, with `--sizes`.
fn parse_code_source(text: &str, sizes: &str) -> Result<CodeSource> {
    let (method, param) = match text.split_once(':') {
        Some((m, p)) => (
            m,
            Some(p.parse::<f64>().map_err(|_| {
                Error::invalid("codes", format!("{p:?} after {m}: is not a number"))
            })?),
        ),
        None => (text, None),
    };
    Ok(CodeSource::parse(method, param)?.with_sizes(CellSizes::parse(sizes)?))
}

fn load_model(path: &Path, device: &str) -> Result<Model> {
    let device = DeviceChoice::parse(device)?.resolve()?;
    let mut m = Model::load(path)?;
    m.device = device;
    Ok(m)
}

#[cfg(feature = "torch")]
fn print_torch_info() {
    let info = cellsdf::torch_info::torch_info();
    println!("libtorch: {}", info.libtorch_lib);
    println!("threads: {}", info.threads);
    println!(
        "cuda: {} ({} devices, cudnn {})",
        info.cuda_available, info.cuda_devices, info.cudnn_available
    );
}

#[cfg(not(feature = "torch"))]
fn print_torch_info() {
    println!("libtorch: none (built without the `torch` feature: no training, fitting or cuda)");
}

/// Runs `work` with a progress bar named `what` (hidden with --quiet) fed by its reports,
/// cancelling cleanly on Ctrl-C. With `loss_only` the message only changes on reports that
/// carry a loss (training reports every step but gives the loss once per epoch).
fn with_progress<T>(
    quiet: bool,
    what: &str,
    loss_only: bool,
    work: impl FnOnce(&dyn cellsdf::progress::Progress) -> Result<T>,
) -> Result<T> {
    let bar = progress_bar(quiet, what);
    // Off a terminal the bar is invisible: lines at an interval instead.
    let lines = (!quiet && !std::io::stderr().is_terminal()).then(|| {
        let every = PROGRESS_EVERY
            .get()
            .copied()
            .unwrap_or(DEFAULT_PROGRESS_EVERY_S);
        cellsdf::progress::ProgressLines::new(what, std::time::Duration::from_secs_f64(every))
    });
    let stop = cancel_on_ctrl_c();
    let report = |fraction: f32, stage: &str| {
        bar.set_position((fraction * 1000.0) as u64);
        if !loss_only || stage.contains("loss") || bar.message().is_empty() {
            bar.set_message(stage.to_string());
        }
        if let Some(line) = lines.as_ref().and_then(|l| l.due(fraction, stage)) {
            eprintln!("{line}");
        }
        !stop.load(Ordering::Relaxed)
    };
    let out = work(&report);
    bar.finish_and_clear();
    out
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
