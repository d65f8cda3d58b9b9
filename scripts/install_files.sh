#!/usr/bin/env bash
# Copies files into a folder under cellsdf's output rule: a file already there is replaced
# only when cellsdf put it there before (its name is in the folder's .cellsdf-outputs index,
# the same index the cellsdf commands keep) or when it is identical; any other existing file
# stops the install before anything is copied. FORCE=1 replaces such files too. Nothing is
# ever deleted.
#
#   scripts/install_files.sh DEST_DIR FILE...
set -euo pipefail
dest=${1:?destination folder}
shift
mkdir -p "$dest"
index="$dest/.cellsdf-outputs"
owned() { [ -f "$index" ] && grep -qxF "$1" "$index"; }
conflicts=()
for f in "$@"; do
  name=$(basename "$f")
  target="$dest/$name"
  if [ -e "$target" ] || [ -L "$target" ]; then
    if ! owned "$name" && ! cmp -s "$f" "$target" && [ "${FORCE:-0}" != 1 ]; then
      conflicts+=("$target")
    fi
  fi
done
if [ ${#conflicts[@]} -gt 0 ]; then
  echo "install: these files exist and were not installed by cellsdf: ${conflicts[*]}" >&2
  echo "install: nothing was copied; remove them yourself or rerun with FORCE=1 to replace them" >&2
  exit 1
fi
[ -f "$index" ] || echo "# files written by cellsdf in this folder; cellsdf replaces only these" > "$index"
for f in "$@"; do
  name=$(basename "$f")
  # Copy beside, then rename: the old file stays whole until the new one is complete.
  cp -L "$f" "$dest/.$name.part"
  mv -f "$dest/.$name.part" "$dest/$name"
  owned "$name" || echo "$name" >> "$index"
done
