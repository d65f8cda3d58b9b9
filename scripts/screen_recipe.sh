#!/usr/bin/env bash
# Reproduces the recipe screening of docs/results.md ("Plausible new cells"): 32 dividing
# phantom sequences x 10 frames at 0.1 um, three datasets (unaligned; aligned; aligned with
# the two-sided band), 20-epoch trainings of the paper network with 8,192 of 32,768 points
# per frame and step, reconstruction JI of the first 8 sequences on the 128^3 grids.
# Several hours on 2 cores.
#
#   scripts/screen_recipe.sh [WORK_DIR]
set -euo pipefail
work=${1:-out/screen}
bin=$(dirname "$0")/../target/release/cellsdf
mkdir -p "$work"
"$bin" phantom --kind dividing --count 32 --frames 10 --voxel-um 0.1 --seed 2022 --quiet \
  --out "$work/phantoms" > /dev/null
prep() { "$bin" prepare "$work/phantoms" --out "$work/$1" --grid 128 --samples-per-frame 32768 --quiet "${@:2}"; }
prep unaligned --align none
prep aligned
prep band --band 0.05 --near-surface-only
run() {
  local name=$1 data=$2
  shift 2
  "$bin" train --data "$work/$data" --out "$work/$name.safetensors" --arch paper \
    --points-per-frame 8192 --epochs 20 --device cpu --seed 1 --checkpoint-every 0 --quiet "$@"
  echo -n "$name: "
  "$bin" evaluate --model "$work/$name.safetensors" --data "$work/$data" --reconstruction-only 8 \
    --out "$work/unused" --device cpu --quiet
}
run sine-1e-4 unaligned --activation sine --lr-net 1e-4 --halve-every 0
run sine-3e-4h5 unaligned --activation sine --lr-net 3e-4 --halve-every 5
run sine-1e-3h4 unaligned --activation sine --lr-net 1e-3 --halve-every 4
run relu-1e-3h4 unaligned --activation relu --lr-net 1e-3 --halve-every 4
run relu-aligned aligned --activation relu --lr-net 1e-3 --halve-every 4
run sine-aligned aligned --activation sine --lr-net 3e-4 --halve-every 5
run relu-band band --activation relu --lr-net 1e-3 --halve-every 4
run sine-band band --activation sine --lr-net 3e-4 --halve-every 5
run sine-siren-band band --activation sine --coordinate-init siren --lr-net 3e-4 --halve-every 5
run relu-band-3e-4h5 band --activation relu --lr-net 3e-4 --halve-every 5
