#!/usr/bin/env bash
# The installed package, as someone else's program sees it: installs BUILD_DIR into a temporary prefix
# (cmake --install, as `make install PREFIX=...` does), checks the layout, builds a small program out of
# tree against it twice (find_package(plateau), then pkg-config), and runs both and the installed
# `plateau ocr` from a directory without models and without PLATEAU_MODEL_DIR on a receipt: each must
# find the installed models, print the same result, and read the receipt's first labelled line.
# usage: tests/install/run.sh BUILD_DIR   (PLATEAU_EVAL_DIR: the evaluation images, default ../shared/eval)
set -euo pipefail
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
eval_dir="${PLATEAU_EVAL_DIR:-$root/../shared/eval}"
image="$eval_dir/sroie/img/000.jpg"
label="$eval_dir/sroie/box/000.csv"
for f in "$image" "$label"; do
  [ -f "$f" ] || { echo "install test: $f is missing (the evaluation images, ../shared/eval)"; exit 1; }
done
image="$(cd "$(dirname "$image")" && pwd)/$(basename "$image")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
unset PLATEAU_MODEL_DIR

fail() { echo "install test: FAILED: $*"; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
libdir="$(dirname "$(find "$prefix" -name libplateau.so | head -n1)")"
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "no libplateau.so under $prefix"
for f in bin/plateau include/plateau/ocr.h include/plateau/status.h include/plateau/model_dir.h \
  share/plateau/models/ch_PP-OCRv4_det_infer.onnx share/plateau/models/ch_PP-OCRv4_rec_infer.onnx \
  share/plateau/models/ch_ppocr_mobile_v2.0_cls_infer.onnx share/plateau/models/ppocr_keys_v1.txt; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
[ -f "$libdir/pkgconfig/plateau.pc" ] || fail "no pkg-config file in $libdir/pkgconfig"
[ -f "$libdir/cmake/plateau/plateauConfig.cmake" ] || fail "no CMake package in $libdir/cmake/plateau"
echo "install test: installed into a temporary prefix: bin, lib ($(basename "$libdir")), include/plateau, pkg-config, CMake package, models"

# Out of tree, with nothing from the repository but the program's source.
cp -r "$root/tests/install/consumer" "$tmp/src"
cmake -S "$tmp/src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  > "$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "configuring against find_package(plateau)"; }
cmake --build "$tmp/cmake-build" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "building against find_package(plateau)"; }
echo "install test: built a program with find_package(plateau)"
PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --exists plateau || fail "pkg-config does not find plateau"
# shellcheck disable=SC2046
g++ -std=c++20 "$tmp/src/main.cc" -o "$tmp/pc-consumer" $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs plateau) \
  -Wl,-rpath,"$libdir" > "$tmp/pc-build.log" 2>&1 || { cat "$tmp/pc-build.log"; fail "building with pkg-config --cflags --libs plateau"; }
echo "install test: built a program with pkg-config"

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
"$tmp/cmake-build/plateau_consumer" "$image" > cmake.json 2> cmake.err || { cat cmake.err; fail "the find_package program"; }
"$tmp/pc-consumer" "$image" > pc.json 2> pc.err || { cat pc.err; fail "the pkg-config program"; }
"$prefix/bin/plateau" ocr -i "$image" > cli.json 2> cli.err || { cat cli.err; fail "the installed plateau ocr"; }
grep -q "share/plateau/models" cmake.err || fail "the program did not load the installed models: $(cat cmake.err)"
cmp -s cmake.json cli.json || fail "the find_package program and plateau ocr disagree"
cmp -s pc.json cli.json || fail "the pkg-config program and plateau ocr disagree"
# The receipt's first labelled line (the shop's name), from the labels, not from plateau.
# Letters and digits only: the model's spacing and case vary.
first_line="$(head -n1 "$label" | cut -d, -f9-)"
squeeze() { tr -d ' ' | tr '[:lower:]' '[:upper:]'; }
grep -qF "\"$(printf '%s' "$first_line" | squeeze)\"" <(squeeze < cli.json) ||
  fail "the receipt's first line '$first_line' is not among the recognised texts"
echo "install test: the installed plateau ocr and both programs read '$first_line' with the installed models"

# Without models anywhere the error names every place looked at and how to get them.
mkdir "$tmp/nomodels"
cd "$tmp/nomodels"
if "$build/plateau" ocr -i "$image" > /dev/null 2> err.txt; then
  # Only when models are installed under the configured prefix of this machine.
  echo "install test: (models are installed on this machine: the error without any is not checked)"
else
  for want in PLATEAU_MODEL_DIR "./models" "make models"; do
    grep -qF "$want" err.txt || fail "the missing-models error does not mention '$want': $(cat err.txt)"
  done
fi
if PLATEAU_MODEL_DIR="$tmp/nomodels" "$prefix/bin/plateau" ocr -i "$image" > /dev/null 2> err.txt; then
  fail "plateau ocr ran with PLATEAU_MODEL_DIR pointing at no models"
fi
grep -qF "PLATEAU_MODEL_DIR='$tmp/nomodels'" err.txt || fail "a wrong PLATEAU_MODEL_DIR is not named: $(cat err.txt)"
echo "install test: without models, the error names the places looked at and 'make models'"
echo "install test: passed"
