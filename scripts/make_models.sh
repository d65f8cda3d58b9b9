#!/usr/bin/env bash
# Builds the bundled default models (make models): per phantom class, 16 phantom sequences
# of 10 frames at 0.1 um (seed 2022) are prepared (64^3 grids, 4096 samples per frame) and
# fitted by the paper network (216,137 parameters, sine) for 150 epochs (lr 3e-4 halved
# every 60 epochs, codes lr 1e-3, seed 1) on the CPU; then each model is evaluated
# (reconstruction Jaccard index of every training frame, descriptors of 8 new sequences
# against the training masks) and its figures are written beside it. About 45 minutes on
# 2 cores.
#
#   scripts/make_models.sh [MODELS_DIR] [WORK_DIR]
set -euo pipefail
models=${1:-models}
work=${2:-out/models-work}
bin=$(dirname "$0")/../target/release/cellsdf
mkdir -p "$models" "$work"
for kind in dividing filopodial; do
  echo "== $kind: phantoms, dataset"
  "$bin" phantom --kind "$kind" --count 16 --frames 10 --voxel-um 0.1 --seed 2022 --quiet --out "$work/$kind/phantoms" > /dev/null
  "$bin" prepare "$work/$kind/phantoms" --out "$work/$kind/dataset" --grid 64 --samples-per-frame 4096 --quiet > /dev/null
  echo "== $kind: training the paper network (150 epochs)"
  start=$(date +%s)
  "$bin" train --data "$work/$kind/dataset" --out "$work/$kind/model.safetensors" --arch paper \
    --activation sine --epochs 150 --lr-net 3e-4 --lr-codes 1e-3 --halve-every 60 \
    --checkpoint-every 50 --device cpu --seed 1
  seconds=$(( $(date +%s) - start ))
  echo "== $kind: evaluation"
  "$bin" evaluate --model "$work/$kind/model.safetensors" --data "$work/$kind/dataset" \
    --count 8 --seed 1 --device cpu --quiet --out "$models/$kind-evaluation"
  # Ship the weights and codes without the optimiser state (about 0.9 MB).
  "$bin" export --model "$work/$kind/model.safetensors" --out "$models/$kind.safetensors"
  ji=$(awk -F, 'NR > 1 { n++; s += $3; q += $3 * $3 } END { m = s / n; printf "%.3f +- %.3f over %d frames", m, sqrt((q - n * m * m) / (n - 1)), n }' \
    "$models/$kind-evaluation/reconstruction_ji.csv")
  cat > "$models/$kind.md" <<EOT
# Bundled default model: $kind

- File: \`$kind.safetensors\` ($(stat -c %s "$models/$kind.safetensors") bytes), made by \`make models\`
  (\`scripts/make_models.sh\`) with cellsdf $("$bin" --version | awk '{print $2}').
- Training data: 16 \`$kind\` phantom sequences x 10 frames at 0.1 um (seed 2022),
  64^3 grids, 4096 SDF samples per frame.
- Network: paper architecture (216,137 parameters, sine), 150 epochs, lr 3e-4 (codes 1e-3)
  halved every 60 epochs, seed 1, CPU, $seconds s on this machine ($(nproc) cores).
- **Reconstruction Jaccard index: $ji** (mean +- sd per training frame, on the 64^3 grids).
- Evaluation report (descriptors of 8 new sequences vs the training masks, KS tests, plots):
  [$kind-evaluation/report.md]($kind-evaluation/report.md).
EOT
  echo "== $kind: reconstruction JI $ji ($seconds s)"
done
