#!/usr/bin/env bash
# Runs plugins/fiji/test/macro_test.ijm against an installed Fiji folder in a clean
# environment, as on a user's machine that never saw the build:
#   - the folder is copied outside the clone (a fresh temporary folder);
#   - its libcellsdf.so must resolve every dependency from the system or the folder itself
#     (ldd), with no run path into the clone;
#   - ImageJ runs with an empty environment (env -i: no PATH into .venv, no LD_LIBRARY_PATH),
#     with only the folder's lib/linux64 on jna.library.path, and, where the kernel allows
#     (root, or unprivileged user namespaces), in a private mount namespace in which the
#     whole clone is hidden under an empty tmpfs.
# ImageJ 1 and JNA come from the system (/usr/share/java), as Fiji brings its own; the
# folder's jars/ goes on the class path, as Fiji puts it there.
#
#   scripts/fiji_clean_test.sh FIJI_DIR OUT_DIR
set -euo pipefail
fiji=$(realpath "${1:?Fiji install folder}")
out=${2:?output folder}
clone=$(realpath "$(dirname "$0")/..")
mkdir -p "$out"
out=$(realpath "$out")
tmp=$(mktemp -d /tmp/cellsdf-fiji-clean.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -a "$fiji" "$tmp/Fiji.app"
cp "$clone/plugins/fiji/test/macro_test.ijm" "$tmp/"
mkdir -p "$tmp/out"
lib="$tmp/Fiji.app/lib/linux64/libcellsdf.so"

# Dependencies and run paths: nothing from the clone.
deps=$(env -i ldd "$lib")
echo "$deps"
if grep -q "not found" <<<"$deps"; then
  echo "fiji-clean-test: $lib has unresolved dependencies" >&2
  exit 1
fi
if grep -qF "$clone" <<<"$deps" || readelf -d "$lib" | grep -E 'R(UN)?PATH' | grep -qF "$clone"; then
  echo "fiji-clean-test: $lib reaches into the build folder $clone" >&2
  exit 1
fi

jni=$(ls -d /usr/lib/*/jni 2>/dev/null | head -n1)
run_imagej="env -i HOME=$tmp PATH=/usr/bin:/bin xvfb-run -a java -Djna.nosys=false \
  -Djava.library.path=$jni -Djna.library.path=$tmp/Fiji.app/lib/linux64 \
  -Dplugins.dir=$tmp/Fiji.app -Dcellsdf.models=$tmp/Fiji.app/models \
  -cp /usr/share/java/ij.jar:/usr/share/java/jna.jar:$tmp/Fiji.app/jars/cellsdf-java.jar \
  ij.ImageJ -batch $tmp/macro_test.ijm \
  $tmp/Fiji.app/models/dividing.safetensors|$tmp/out"
if unshare --mount --propagation private true 2>/dev/null; then
  echo "== ImageJ in a private mount namespace with $clone hidden"
  unshare --mount --propagation private bash -c \
    "mount -t tmpfs tmpfs '$clone' && [ -z \"\$(ls -A '$clone')\" ] && $(printf '%q ' $run_imagej)"
else
  echo "== ImageJ with an empty environment (no mount namespace here: the clone stays visible," \
       "the ldd and run-path checks above stand in)"
  # shellcheck disable=SC2086
  $run_imagej
fi
cp -a "$tmp/out/." "$out/"
echo "fiji-clean-test: macro ran from $tmp/Fiji.app ($(du -sh "$tmp/Fiji.app" | cut -f1))"
