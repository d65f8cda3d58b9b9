#!/usr/bin/env bash
# Reconstruction experiment of docs/results.md: per phantom class, 16 sequences are
# generated, prepared, and fitted by a sine and a ReLU model of the same architecture; the
# reconstruction Jaccard index of every training frame is printed with the training time.
#
#   scripts/reconstruction.sh OUT_DIR [ARCH] [EPOCHS] [FRAMES] [LR_NET] [HALVE_EVERY]
#
# Defaults (sized for 2 CPU cores, about 20 minutes): small network, 150 epochs, 10 frames
# per sequence, 4096 samples per frame, 64^3 evaluation grids. The paper's setting is
# ARCH=paper, 1250 epochs, 30 frames, lr 1e-4 halved every 100 epochs, on a GPU.
set -euo pipefail
out=${1:?output directory}
arch=${2:-small}
epochs=${3:-150}
frames=${4:-10}
lr=${5:-1e-3}
halve=${6:-60}
bin=$(dirname "$0")/../target/release/cellsdf
mkdir -p "$out"
for kind in dividing filopodial; do
  "$bin" phantom --kind "$kind" --count 16 --frames "$frames" --voxel-um 0.1 --seed 2022 --quiet --out "$out/$kind/phantoms" > /dev/null
  "$bin" prepare "$out/$kind/phantoms" --out "$out/$kind/dataset" --grid 64 --samples-per-frame 4096 --quiet > /dev/null
  for act in sine relu; do
    echo "== $kind $arch $act ($epochs epochs, lr $lr halved every $halve)"
    "$bin" train --data "$out/$kind/dataset" --out "$out/$kind/$act.safetensors" --arch "$arch" \
      --activation "$act" --epochs "$epochs" --lr-net "$lr" --lr-codes 1e-3 --halve-every "$halve" \
      --checkpoint-every 0 --device auto --seed 1 --evaluate --quiet
  done
done
