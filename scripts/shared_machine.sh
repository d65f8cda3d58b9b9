#!/usr/bin/env bash
# Training beside one busy process (docs/results.md, issue 15): the same small training run
# alone, and beside a shell busy loop with libtorch's OpenMP wait policy active or passive,
# and with --threads 1. Prints the wall time of each.
#
#   scripts/shared_machine.sh DATASET     (e.g. a prepared dataset of 2 x 4 frames)
set -uo pipefail
data=${1:?prepared dataset folder}
bin=$(dirname "$0")/../target/release/cellsdf
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # label extra-args env...
  local label=$1 extra=$2; shift 2
  local s=$(date +%s.%N)
  env "$@" "$bin" --quiet $extra train --data "$data" --out "$out/m.safetensors" --arch paper \
    --activation relu --epochs 150 --points-per-frame 1024 --frames-per-batch 8 --seed 1 \
    --device cpu --checkpoint-every 0 > /dev/null
  echo "$label: $(echo "$(date +%s.%N) - $s" | bc) s"
}
run "alone" ""
( while :; do :; done ) & busy=$!
trap 'kill $busy; rm -rf "$out"' EXIT
run "beside a busy process, OMP_WAIT_POLICY=ACTIVE" "" OMP_WAIT_POLICY=ACTIVE
run "beside a busy process, OMP_WAIT_POLICY=PASSIVE" "" OMP_WAIT_POLICY=PASSIVE
run "beside a busy process, --threads 1" "--threads 1"
