#!/usr/bin/env bash
# Golden data for tests/golden_test.cc: model inputs made from the evaluation images with plateau's own
# preprocessing (build/goldens/inputs), and ONNX Runtime's outputs for each (build/goldens/ort/<name>/).
# The references are produced here, at setup time, instead of being committed: they are large and
# ONNX Runtime regenerates them exactly. Idempotent: existing inputs and outputs are kept.
# Needs: the build (plateau_golden_inputs), `make models` and `make ort`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PLATEAU_BUILD_DIR:-$root/build}"
goldens="$build/goldens"
inputs="$goldens/inputs"
models="$root/models"
eval_dir="${PLATEAU_EVAL_DIR:-$root/../shared/eval}"

expected_inputs=(det_960x736 det_640x640 det_32x32 det_1504x224 det_224x1504
                 rec_b1_w80 rec_b6_w80 rec_b1_w320 rec_b6_w320 rec_b1_w1280 rec_b6_w1280
                 cls_b1 cls_b6)

missing_input=0
for name in "${expected_inputs[@]}"; do
  [ -f "$inputs/$name.npy" ] || missing_input=1
done
if [ $missing_input -eq 1 ]; then
  if [ ! -x "$build/plateau_golden_inputs" ]; then
    echo "make-goldens: $build/plateau_golden_inputs is missing; run 'make build' first" >&2
    exit 1
  fi
  # Write into a temporary folder and move it in place, so an interrupted run leaves no partial set.
  rm -rf "$inputs.tmp"
  "$build/plateau_golden_inputs" --eval "$eval_dir" --out "$inputs.tmp" >/dev/null
  rm -rf "$inputs"
  mv "$inputs.tmp" "$inputs"
  echo "make-goldens: wrote ${#expected_inputs[@]} inputs to $inputs"
else
  echo "make-goldens: inputs present in $inputs"
fi

model_for() {
  case "$1" in
    det_*) echo "$models/ch_PP-OCRv4_det_infer.onnx" ;;
    rec_*) echo "$models/ch_PP-OCRv4_rec_infer.onnx" ;;
    cls_*) echo "$models/ch_ppocr_mobile_v2.0_cls_infer.onnx" ;;
    *) return 1 ;;
  esac
}

made=0
for name in "${expected_inputs[@]}"; do
  out="$goldens/ort/$name"
  if [ -f "$out/.done" ]; then continue; fi
  model="$(model_for "$name")"
  if [ ! -f "$model" ]; then
    echo "make-goldens: $model is missing; run 'make models' first" >&2
    exit 1
  fi
  rm -rf "$out"
  node "$root/tools/ort/reference.js" --model "$model" --input "x=$inputs/$name.npy" --output "$out" \
    --threads 1 >/dev/null
  touch "$out/.done"
  made=$((made + 1))
done
echo "make-goldens: ONNX Runtime outputs in $goldens/ort ($made computed now)"
