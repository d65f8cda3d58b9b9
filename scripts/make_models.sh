#!/usr/bin/env bash
# Builds the bundled default models (make models). Per phantom class:
#   - 32 phantom sequences of 10 frames at 0.1 um (seed 2022);
#   - one dataset at a dataset-wide scale (codes learn size), each cell aligned to the
#     principal axes of its sequence, far field clamped at 0.5, 32,768 samples per frame
#     (70 % in the two-sided band |sdf| <= 0.05), SDF grids of GRID^3 nodes for evaluation
#     (dividing 128, filopodial 160: node spacing printed by the evaluation);
#   - the paper network (216,137 parameters, sine), seed 1, on the CPU, the paper's
#     initialisation and learning rates (1e-4, codes 1e-3) with 32 frames x 1,024 fresh
#     points per step (the recipe of the GPU run in docs/results.md: many small steps over
#     many frames; an SDF close to a true distance, which adaptive rendering relies on):
#     dividing: 480 epochs, both rates halved every 60;
#     filopodial: 800 epochs, halved every 100 (thin filopodia need the longer fit);
#   - filopodial: filopodia as tubes (cellsdf tubes: the training masks' branches beyond the
#     body, followed over frames), which new cells draw on the rendered body;
#   - evaluation: reconstruction Jaccard index of every training frame on the grid nodes,
#     and 48 new sequences (codes from the default sampler) against the training masks
#     (descriptors, KS tests, fragmentation, novelty).
# The script owns what it writes under MODELS_DIR and replaces it (--overwrite). About two
# hours on 2 cores for both classes (dividing 47 min, filopodial 68 min, measured on two
# machines); each model's .md records the measured times.
#
#   scripts/make_models.sh [MODELS_DIR] [WORK_DIR] [CLASSES...]
set -euo pipefail
models=${1:-models}
work=${2:-out/models-work}
shift 2 || true
classes=${*:-dividing filopodial}
bin=$(dirname "$0")/../target/release/cellsdf
mkdir -p "$models" "$work"
for kind in $classes; do
  case $kind in
    dividing)
      grid=128
      train=(--coordinate-init reference --epochs 480 --lr-net 1e-4 --halve-every 60
        --points-per-frame 1024 --frames-per-batch 32 --checkpoint-every 40)
      recipe="the paper's initialisation; 480 epochs of 32 frames x 1,024 fresh points per
  step, lr 1e-4 (codes 1e-3) halved every 60 epochs" ;;
    *)
      grid=160
      train=(--coordinate-init reference --epochs 800 --lr-net 1e-4 --halve-every 100
        --points-per-frame 1024 --frames-per-batch 32 --checkpoint-every 50)
      recipe="the paper's initialisation; 800 epochs of 32 frames x 1,024 fresh points per
  step, lr 1e-4 (codes 1e-3) halved every 100 epochs" ;;
  esac
  start=$(date +%s)
  echo "== $kind: phantoms, dataset"
  "$bin" phantom --kind "$kind" --count 32 --frames 10 --voxel-um 0.1 --seed 2022 --quiet \
    --out "$work/$kind/phantoms" > /dev/null
  "$bin" prepare "$work/$kind/phantoms" --out "$work/$kind/dataset" --grid $grid \
    --samples-per-frame 32768 --band 0.05 --near-surface-only --quiet
  prepared=$(date +%s)
  echo "== $kind: training the paper network (${train[*]})"
  "$bin" train --data "$work/$kind/dataset" --out "$work/$kind/model.safetensors" --arch paper \
    --activation sine --lr-codes 1e-3 "${train[@]}" --device cpu --seed 1
  trained=$(date +%s)
  shipped=$work/$kind/model.safetensors
  tubes_line=""
  if [ "$kind" = filopodial ]; then
    # Filopodia as tubes (cellsdf tubes): branches of the training masks beyond the body
    # (opened with a 0.4 um ball), followed over frames; renders draw new ones as tubes.
    # Written without the optimiser state, so the checkpoint stays resumable beside it.
    shipped=$work/$kind/model-tubes.safetensors
    tubes_line=$("$bin" tubes --model "$work/$kind/model.safetensors" --data "$work/$kind/dataset" \
      --out "$shipped" --overwrite --quiet)
    echo "$tubes_line"
    tubes_line=${tubes_line%%; wrote *}
  fi
  echo "== $kind: evaluation"
  "$bin" evaluate --model "$shipped" --data "$work/$kind/dataset" \
    --count 48 --seed 1 --device cpu --quiet --overwrite --out "$models/$kind-evaluation"
  evaluated=$(date +%s)
  # Ship the weights and codes without the optimiser state (about 0.9 MB), with the training
  # cells' sizes measured for `--sizes training`.
  "$bin" export --model "$shipped" --out "$models/$kind.safetensors" --overwrite
  ji=$(awk -F, 'NR > 1 { n++; s += $3; q += $3 * $3 } END { m = s / n; printf "%.3f +- %.3f over %d frames", m, sqrt((q - n * m * m) / (n - 1)), n }' \
    "$models/$kind-evaluation/reconstruction_ji.csv")
  cat > "$models/$kind.md" <<EOT
# Bundled default model: $kind

- File: \`$kind.safetensors\` ($(stat -c %s "$models/$kind.safetensors") bytes), made by \`make models\`
  (\`scripts/make_models.sh\`) with cellsdf $("$bin" --version | awk '{print $2}').
- Training data: 32 \`$kind\` phantom sequences x 10 frames at 0.1 um (seed 2022); one scale
  for all cells, each cell aligned to its principal axes, far field clamped at 0.5,
  32,768 SDF samples per frame (70 % with |sdf| <= 0.05), ${grid}^3 evaluation grids.
- Network: paper architecture (216,137 parameters, sine), $recipe,
  seed 1, CPU. Times on this machine ($(nproc) cores): phantoms and dataset
  $(( prepared - start )) s, training $(( trained - prepared )) s, evaluation $(( evaluated - trained )) s.
- **Reconstruction Jaccard index: $ji** (mean +- sd per training frame, on the ${grid}^3 grid nodes).${tubes_line:+
- Filopodia as tubes (\`cellsdf tubes\`, opening 0.4 um, branches from 0.5 um, bases matched
  within 0.5 um): $tubes_line. New cells are the rendered body with new tubes drawn
  from these tracks; \`--no-tubes\` renders the network's shape as it is.}
- Evaluation report (48 new sequences vs the training masks: descriptors, KS tests,
  fragmentation, novelty, plots): [$kind-evaluation/report.md]($kind-evaluation/report.md).
EOT
  echo "== $kind: reconstruction JI $ji ($(( evaluated - start )) s)"
done
