# cellsdf: `make demo` runs the main job on a built-in default; `make test` installs what the
# tests need and runs them all. Everything is installed inside the clone (.venv, .cargo-home).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

TORCH_VERSION := 2.13.0
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
CELLSDF := target/release/cellsdf
DEMO_OUT := out/demo
# ReLU trains better than sine at this small size and epoch count (docs/results.md).
DEMO_ACTIVATION := relu

# tch's build asks the first `python` on PATH for libtorch (the torch wheel in .venv).
export PATH := $(VENV)/bin:$(HOME)/.cargo/bin:$(PATH)
export LIBTORCH_USE_PYTORCH := 1
# Keep downloads inside the clone; no caches elsewhere.
export CARGO_HOME := $(CURDIR)/.cargo-home
export PIP_NO_CACHE_DIR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build demo test test-deps venv torch-check fmt-check clippy cargo-test bench clean

all: build

## venv: Python virtual environment with torch==$(TORCH_VERSION) (libtorch for tch 0.26).
venv: $(VENV)/.torch-$(TORCH_VERSION)

$(VENV)/.torch-$(TORCH_VERSION):
	@echo "== installing torch==$(TORCH_VERSION) into .venv (about 5 GB, a few minutes)"
	python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==$(TORCH_VERSION)
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(VENV)/.torch-$(TORCH_VERSION)
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

## torch-check: one clear line when libtorch is missing or the wrong version.
torch-check: venv
	@v=$$($(PY) -c "import torch; print(torch.__version__.split('+')[0])" 2>/dev/null || true); \
	if [ "$$v" != "$(TORCH_VERSION)" ]; then \
	  echo "cellsdf: tch 0.26 needs torch $(TORCH_VERSION) in .venv, found '$${v:-no torch}': run 'rm -rf .venv && make venv'"; \
	  exit 1; \
	fi

## test-deps: Debian packages the tests use (ImageJ 1, a JDK) and the Python references.
test-deps: $(VENV)/.test-deps
	@if [ ! -f /usr/share/java/ij.jar ] || ! command -v javac >/dev/null; then \
	  echo "== installing ImageJ 1 (libij-java) and a JDK from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends libij-java default-jdk-headless; \
	fi

build: torch-check
	cargo build --release

demo: build
	@echo "== generating phantom cell sequences into $(DEMO_OUT)/phantoms"
	$(CELLSDF) phantom --kind dividing --count 3 --frames 20 --voxel-um 0.125 --seed 1 --out $(DEMO_OUT)/phantoms/dividing
	$(CELLSDF) phantom --kind filopodial --count 3 --frames 20 --voxel-um 0.125 --seed 1 --out $(DEMO_OUT)/phantoms/filopodial
	@echo "== preparing SDF training sets into $(DEMO_OUT)/datasets"
	$(CELLSDF) prepare $(DEMO_OUT)/phantoms/dividing --out $(DEMO_OUT)/datasets/dividing --grid 48 --samples-per-frame 4096
	$(CELLSDF) prepare $(DEMO_OUT)/phantoms/filopodial --out $(DEMO_OUT)/datasets/filopodial --grid 48 --samples-per-frame 4096
	@echo "== training a small model on the dividing cells (a few minutes on 2 cores)"
	$(CELLSDF) train --data $(DEMO_OUT)/datasets/dividing --out $(DEMO_OUT)/models/dividing.safetensors \
	    --arch small --activation $(DEMO_ACTIVATION) --epochs 150 --lr-net 1e-3 --halve-every 60 --seed 1 --evaluate
	@echo "== synthesizing new cell sequences into $(DEMO_OUT)/synth"
	$(CELLSDF) synth --model $(DEMO_OUT)/models/dividing.safetensors --count 3 --frames 40 \
	    --size 96,96,96 --seed 1 --out $(DEMO_OUT)/synth
	@echo "== demo done:"
	@echo "   phantom masks    $(DEMO_OUT)/phantoms/*/*.tif (ground truth in manifest.json)"
	@echo "   SDF datasets     $(DEMO_OUT)/datasets/* (dataset.json, samples.npy, grids.npy)"
	@echo "   trained model    $(DEMO_OUT)/models/dividing.safetensors"
	@echo "   new sequences    $(DEMO_OUT)/synth/synth_*.tif (40 frames each; open in Fiji or napari)"

fmt-check:
	cargo fmt --all -- --check

clippy: torch-check
	cargo clippy --release --all-targets -- -D warnings

cargo-test: torch-check test-deps
	cargo test --release

test: test-deps torch-check fmt-check clippy cargo-test

## bench: EDT speed against the `edt` package and scipy on a 256^3 mask (prints the ratios).
bench: torch-check test-deps
	$(PY) -m pip install -q edt==3.1.2
	cargo bench --bench edt
	cargo bench --bench train_step
	cargo bench --bench synth
	cargo bench --bench mesh

clean:
	cargo clean
	rm -rf out
