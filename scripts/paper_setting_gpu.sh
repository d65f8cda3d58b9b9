#!/usr/bin/env bash
# The paper's training setting (issue 13) on one CUDA machine, within a fixed wall time:
# per phantom class, SEQ sequences x FRAMES frames at 0.1 um are made and prepared by cellsdf
# (dataset-wide scale, principal-axis alignment, 70 % of the samples in |sdf| <= 0.05), then
# three models train at once on the GPU with the paper's network, epochs and learning rates
# (scripts/paper_setting_gpu.py): sine with the reference initialisation, sine with a SIREN
# first layer over the coordinates, and ReLU, all at the same points per step. Each run
# writes a cellsdf model and a JSON report (reconstruction JI on the dataset's grids).
#
#   scripts/paper_setting_gpu.sh OUT_DIR [SEQ] [FRAMES] [EPOCHS] [SAMPLES] [END_S]
#
# END_S: seconds from the start by which everything must be done (the points per frame and
# step are chosen to fit). cellsdf is run from target/release; on a machine whose PyTorch
# is not 2.13, phantom and prepare still run (they make no libtorch calls) with
# LD_LIBRARY_PATH at that PyTorch's lib folder (TORCH_LIB, found from PY by default).
set -uo pipefail
out=${1:?output folder}
seq=${2:-16}
frames=${3:-30}
epochs=${4:-1250}
samples=${5:-131072}
end_s=${6:-540}
py=${PY:-python3}
bin=$(cd "$(dirname "$0")/.." && pwd)/target/release/cellsdf
script=$(cd "$(dirname "$0")" && pwd)/paper_setting_gpu.py
work=${WORK:-$out/work}
t0=$(date +%s)
mkdir -p "$out" "$work"
# That PyTorch's lib folder and the CUDA libraries of its nvidia-* packages (its
# libtorch_cuda.so has no run path: Python preloads them).
export LD_LIBRARY_PATH=${TORCH_LIB:-$("$py" -c '
import glob, os, torch
d = os.path.dirname(torch.__file__)
nv = glob.glob(os.path.join(os.path.dirname(d), "nvidia", "**", "lib*.so*"), recursive=True)
print(":".join([os.path.join(d, "lib")] + sorted({os.path.dirname(p) for p in nv})))'):/usr/local/cuda/lib64}
"$bin" info || { ldd "$bin" | grep "not found"; exit 1; }
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
nproc

prepare() { # kind grid
  local s=$(date +%s)
  "$bin" phantom --kind "$1" --count "$seq" --frames "$frames" --voxel-um 0.1 --seed 2022 \
    --quiet --out "$work/$1/phantoms" > /dev/null || return 1
  "$bin" prepare "$work/$1/phantoms" --out "$work/$1/dataset" --grid "$2" \
    --samples-per-frame "$samples" --band 0.05 --near-surface-only --quiet || return 1
  rm -rf "$work/$1/phantoms"
  echo "$1 prepared in $(( $(date +%s) - s )) s"
}

train_class() { # kind budget_s deadline_unix
  local kind=$1 budget=$2 deadline=$3 probe="$work/$1/probe"
  rm -rf "$probe"
  for run in sine:reference sine:siren relu:reference; do
    local act=${run%%:*} init=${run##*:}
    "$py" "$script" --data "$work/$kind/dataset" --out "$out/$kind-$act-$init.safetensors" \
      --activation "$act" --coordinate-init "$init" --epochs "$epochs" --budget-s "$budget" \
      --deadline "$deadline" --probe-dir "$probe" --probe-runs 3 --seed 1 \
      > "$out/$kind-$act-$init.log" 2>&1 &
  done
  wait
  cat "$out/$kind"-*.log
}

prepare dividing "${GRID_DIVIDING:-128}" || echo "dividing: preparation failed"
now=$(( $(date +%s) - t0 ))
# Dividing trains while the filopodial phantoms are made; each class gets about half of the
# remaining time, less 70 s for evaluation.
div_budget=$(( (end_s - now) / 2 - 70 ))
train_class dividing "$div_budget" $(( t0 + now + div_budget + 30 )) > "$out/dividing.txt" 2>&1 &
div_pid=$!
prepare filopodial "${GRID_FILOPODIAL:-160}" || echo "filopodial: preparation failed"
wait $div_pid
cat "$out/dividing.txt"
now=$(( $(date +%s) - t0 ))
filo_budget=$(( end_s - now - 90 ))
train_class filopodial "$filo_budget" $(( t0 + end_s - 80 ))
echo "total $(( $(date +%s) - t0 )) s"
