#!/usr/bin/env bash
# SEG of a simple segmentation (tests/support/baseline_seg.py: Gaussian 1 voxel, Otsu,
# connected components) against the ground truth of simulated datasets, by requested SNR
# and microscope (docs/results.md, issue 17). Bundled dividing model, 5 cells, 10 frames of
# 128 x 128 x 40 voxels (0.2 x 0.2 x 0.4 um), seeds 1 and 2.
#
#   scripts/seg_vs_snr.sh WORK_DIR   (prints a Markdown table row per microscope and SNR)
set -euo pipefail
work=${1:?work folder}
bin=$(dirname "$0")/../target/release/cellsdf
py=$(dirname "$0")/../.venv/bin/python
seg=$(dirname "$0")/../tests/support/baseline_seg.py
mkdir -p "$work"
echo "| microscope | requested SNR | measured SNR (first frame) | SEG seed 1 | SEG seed 2 |"
echo "|---|---|---|---|---|"
for mic in widefield confocal; do
  for snr in 30 10 5 3 2 1.5 1.2 1 0.8; do
    row="| $mic | $snr |"
    measured=""
    scores=""
    for seed in 1 2; do
      d="$work/$mic-$snr-$seed"
      rm -rf "$d" "$d-seg"
      line=$("$bin" simulate --out "$d" --cells 5 --frames 10 --size 128,128,40 --snr "$snr" \
        --microscope "$mic" --seed "$seed" --quiet)
      measured="$measured $(echo "$line" | sed 's/.*first frame SNR \([0-9.]*\).*/\1/')"
      s=$("$py" "$seg" "$d" "$d-seg" | tail -1 | sed 's/.*"SEG": \([0-9.e-]*\).*/\1/')
      scores="$scores $(printf '%.3f |' "$s")"
    done
    echo "$row$measured |$scores"
  done
done
